/**
 * A progress line on stderr: a bar with count, rate and ETA, redrawn in place on
 * a terminal; on a pipe or file, a plain text line every few seconds instead.
 */

export interface ProgressState {
  label: string;
  done: number;
  total: number;
  /** Items per second, if known. */
  rate?: number;
  etaSeconds?: number;
  /** Extra text, e.g. "reused 120, bad 2". */
  note?: string;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function formatProgress(p: ProgressState, barWidth = 24): string {
  const fraction = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
  const filled = Math.round(fraction * barWidth);
  const bar = barWidth > 0 ? `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ` : '';
  const parts = [`${p.label} ${bar}${p.done}/${p.total} (${Math.floor(fraction * 100)}%)`];
  if (p.rate !== undefined) parts.push(`${p.rate.toFixed(1)} img/s`);
  if (p.etaSeconds !== undefined) parts.push(`ETA ${formatDuration(p.etaSeconds)}`);
  if (p.note) parts.push(p.note);
  return parts.join('  ');
}

export class ProgressBar {
  private lastPlain = 0;
  private drawn = false;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly plainEveryMs = 5000,
  ) {}

  get isTTY(): boolean {
    return Boolean(this.stream.isTTY);
  }

  update(p: ProgressState): void {
    if (this.isTTY) {
      const width = Math.max(10, Math.min(30, (this.stream.columns ?? 100) - 75));
      this.stream.write(`\r\x1b[K${formatProgress(p, width)}`);
      this.drawn = true;
      return;
    }
    const now = Date.now();
    if (now - this.lastPlain >= this.plainEveryMs || p.done === p.total) {
      this.lastPlain = now;
      this.stream.write(`${formatProgress(p, 0)}\n`);
    }
  }

  /** Ends the redrawn line (call before printing anything else). */
  done(): void {
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
  }
}
