/**
 * Bounded top-K by score: a binary min-heap of the K best seen so far, so a
 * scan over N scores costs O(N log K) and allocates nothing per candidate.
 */

export interface Scored {
  /** Item index in the catalog. */
  index: number;
  score: number;
}

export class TopK {
  private readonly scores: Float64Array;
  private readonly indices: Int32Array;
  private size = 0;

  constructor(readonly k: number) {
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`top-K needs a whole K ≥ 0, got ${k}`);
    this.scores = new Float64Array(k);
    this.indices = new Int32Array(k);
  }

  /** The score a candidate must beat to get in (−∞ until the heap is full). */
  get threshold(): number {
    return this.size < this.k ? -Infinity : this.scores[0]!;
  }

  get length(): number {
    return this.size;
  }

  push(index: number, score: number): void {
    if (this.size < this.k) {
      // Sift up.
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!this.before(score, index, this.scores[parent]!, this.indices[parent]!)) break;
        this.scores[i] = this.scores[parent]!;
        this.indices[i] = this.indices[parent]!;
        i = parent;
      }
      this.scores[i] = score;
      this.indices[i] = index;
      return;
    }
    if (this.k === 0 || !this.before(this.scores[0]!, this.indices[0]!, score, index)) return;
    // Replace the root (the worst kept) and sift down.
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.size) break;
      const r = l + 1;
      let c = l;
      if (r < this.size && this.before(this.scores[r]!, this.indices[r]!, this.scores[l]!, this.indices[l]!)) c = r;
      if (!this.before(this.scores[c]!, this.indices[c]!, score, index)) break;
      this.scores[i] = this.scores[c]!;
      this.indices[i] = this.indices[c]!;
      i = c;
    }
    this.scores[i] = score;
    this.indices[i] = index;
  }

  /** Best first; equal scores by lower index first (deterministic across paths). */
  sorted(): Scored[] {
    const out: Scored[] = [];
    for (let i = 0; i < this.size; i++) out.push({ index: this.indices[i]!, score: this.scores[i]! });
    return out.sort((a, b) => b.score - a.score || a.index - b.index);
  }

  /** True when (s1, i1) ranks below (s2, i2): lower score, or equal score and higher index. */
  private before(s1: number, i1: number, s2: number, i2: number): boolean {
    return s1 < s2 || (s1 === s2 && i1 > i2);
  }
}
