import { formatMB } from './format.ts';

export interface ProgressState {
  label: string;
  loaded: number;
  total: number;
  /** Bytes (shown as MB of MB) or items (shown as n of m). */
  unit: 'bytes' | 'items' | 'none';
  /** The file on its way and its own bytes, shown under the bar ("mobilenetv3/group1-shard1of2.bin · 1.2 of 3.9 MB"). */
  file?: { name: string; loaded: number; total: number };
  /** Which step of loading the models this is (the worker's InitProgress phase), as `data-phase` for tools such as the bench. */
  phase?: string;
}

/** The last two path segments ("mnv3s/weights.bin"), so a long artifact path fits a phone screen. */
function shortName(path: string): string {
  return path.split('/').slice(-2).join('/');
}

export function ProgressBar({ progress }: { progress: ProgressState }) {
  const { loaded, total, unit, label, file, phase } = progress;
  const amount = unit === 'bytes' ? `${formatMB(loaded)} of ${formatMB(total)}` : unit === 'items' ? `${loaded} of ${total}` : '';
  const fileLine = file ? `${shortName(file.name)} · ${formatMB(file.loaded).replace(' MB', '')} of ${formatMB(file.total)}` : '';
  return (
    <div class="progress" data-phase={phase}>
      <div class="progress-label">
        <span data-testid="progress-label">{label}</span>
        {amount && <span class="progress-amount" data-testid="progress-amount">{amount}</span>}
      </div>
      <div
        class="progress-track"
        role="progressbar"
        data-testid="progress"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={total || 1}
        aria-valuenow={total ? loaded : undefined}
        aria-valuetext={[amount || label, fileLine].filter(Boolean).join('; ')}
      >
        <div class={total ? 'progress-fill' : 'progress-fill indeterminate'} style={{ width: total ? `${(100 * loaded) / total}%` : '40%' }} />
      </div>
      {fileLine && (
        <p class="progress-file" data-testid="progress-file" title={file!.name}>
          {fileLine}
        </p>
      )}
    </div>
  );
}
