/**
 * The indexer's resumable state: `.index-state.ndjson` in the output folder,
 * one line per embedded image (content sha256 → float32 embedding, base64),
 * appended as each image is done, so a killed run loses at most the image in
 * flight. The first line names the models; a state from other models is set aside.
 */
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const STATE_FILE = '.index-state.ndjson';

export interface StateHeader {
  kind: 'lookalike-index-state';
  version: 1;
  ensembleId: string;
  modelSha256: string[];
  dimension: number;
}

export interface StateInfo {
  /** Embeddings read back from an earlier run. */
  reused: number;
  /** Why an existing state file was not used, if it was not. */
  discarded?: string;
  /** Lines that could not be read (a line cut short by a kill). */
  badLines: number;
}

export class IndexState {
  readonly file: string;
  private readonly embeddings = new Map<string, Float32Array>();

  private constructor(
    dir: string,
    readonly header: StateHeader,
  ) {
    this.file = join(dir, STATE_FILE);
  }

  /** Opens (or starts) the state in `dir` for these models. */
  static open(dir: string, models: { ensembleId: string; modelSha256: string[]; dimension: number }): { state: IndexState; info: StateInfo } {
    const header: StateHeader = {
      kind: 'lookalike-index-state',
      version: 1,
      ensembleId: models.ensembleId,
      modelSha256: [...models.modelSha256].sort(),
      dimension: models.dimension,
    };
    const state = new IndexState(dir, header);
    const info: StateInfo = { reused: 0, badLines: 0 };
    if (existsSync(state.file)) {
      const lines = readFileSync(state.file, 'utf8').split('\n');
      let old: Partial<StateHeader> | undefined;
      try {
        old = JSON.parse(lines[0] ?? '') as Partial<StateHeader>;
      } catch {
        old = undefined;
      }
      if (old?.kind !== header.kind || old.version !== 1) info.discarded = `${state.file} is not an index state file`;
      else if (
        old.ensembleId !== header.ensembleId ||
        JSON.stringify(old.modelSha256) !== JSON.stringify(header.modelSha256) ||
        old.dimension !== header.dimension
      ) {
        info.discarded = `${state.file} was made with the models "${old.ensembleId}" (now "${header.ensembleId}")`;
      }
      if (info.discarded) {
        renameSync(state.file, `${state.file}.old`);
      } else {
        for (const line of lines.slice(1)) {
          if (!line) continue;
          const v = state.parseLine(line);
          if (v) state.embeddings.set(v[0], v[1]);
          else info.badLines++;
        }
        info.reused = state.embeddings.size;
      }
    }
    if (!existsSync(state.file)) writeFileSync(state.file, `${JSON.stringify(header)}\n`);
    else if (!readFileSync(state.file, 'utf8').endsWith('\n')) appendFileSync(state.file, '\n'); // after a line cut short
    return { state, info };
  }

  private parseLine(line: string): [string, Float32Array] | undefined {
    return parseStateLine(line, this.header.dimension);
  }

  get(hash: string): Float32Array | undefined {
    return this.embeddings.get(hash);
  }

  has(hash: string): boolean {
    return this.embeddings.has(hash);
  }

  get size(): number {
    return this.embeddings.size;
  }

  /** Records many embeddings (one append; ones already recorded are left out). */
  addMany(entries: Iterable<[string, Float32Array]>): number {
    const lines: string[] = [];
    let added = 0;
    for (const [hash, embedding] of entries) {
      if (this.embeddings.has(hash)) continue;
      if (embedding.length !== this.header.dimension) throw new RangeError(`embedding of ${embedding.length} values, expected ${this.header.dimension}`);
      lines.push(`${JSON.stringify({ h: hash, e: Buffer.from(embedding.buffer, embedding.byteOffset, embedding.byteLength).toString('base64') })}\n`);
      this.embeddings.set(hash, embedding);
      added++;
      if (lines.length >= 10_000) appendFileSync(this.file, lines.splice(0).join(''));
    }
    if (lines.length) appendFileSync(this.file, lines.join(''));
    return added;
  }

  /** Records one embedding (appended to the file at once). */
  add(hash: string, embedding: Float32Array): void {
    if (embedding.length !== this.header.dimension) throw new RangeError(`embedding of ${embedding.length} values, expected ${this.header.dimension}`);
    const e = Buffer.from(embedding.buffer, embedding.byteOffset, embedding.byteLength).toString('base64');
    appendFileSync(this.file, `${JSON.stringify({ h: hash, e })}\n`);
    this.embeddings.set(hash, embedding);
  }
}

function parseStateLine(line: string, dimension: number): [string, Float32Array] | undefined {
  try {
    const { h, e } = JSON.parse(line) as { h?: unknown; e?: unknown };
    if (typeof h !== 'string' || typeof e !== 'string') return undefined;
    const bytes = Buffer.from(e, 'base64');
    if (bytes.byteLength !== dimension * 4) return undefined;
    const v = new Float32Array(dimension);
    new Uint8Array(v.buffer).set(bytes);
    return v.every(Number.isFinite) ? [h, v] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads the state in `dir` without changing it (IndexState.open sets aside a state of other models; this
 * does not): its header and embeddings, or undefined when there is no state file or it is not one.
 */
export function readIndexState(dir: string): { header: StateHeader; embeddings: Map<string, Float32Array>; badLines: number } | undefined {
  const file = join(dir, STATE_FILE);
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, 'utf8').split('\n');
  let header: Partial<StateHeader>;
  try {
    header = JSON.parse(lines[0] ?? '') as Partial<StateHeader>;
  } catch {
    return undefined;
  }
  if (header.kind !== 'lookalike-index-state' || header.version !== 1 || !Number.isInteger(header.dimension) || !Array.isArray(header.modelSha256))
    return undefined;
  const embeddings = new Map<string, Float32Array>();
  let badLines = 0;
  for (const line of lines.slice(1)) {
    if (!line) continue;
    const v = parseStateLine(line, header.dimension!);
    if (v) embeddings.set(v[0], v[1]);
    else badLines++;
  }
  return { header: header as StateHeader, embeddings, badLines };
}
