import { formatMB } from './format.ts';

export interface ProgressState {
  label: string;
  loaded: number;
  total: number;
  /** Bytes (shown as MB of MB) or items (shown as n of m). */
  unit: 'bytes' | 'items' | 'none';
}

export function ProgressBar({ progress }: { progress: ProgressState }) {
  const { loaded, total, unit, label } = progress;
  const amount = unit === 'bytes' ? `${formatMB(loaded)} of ${formatMB(total)}` : unit === 'items' ? `${loaded} of ${total}` : '';
  return (
    <div class="progress">
      <div class="progress-label">
        <span>{label}</span>
        {amount && <span class="progress-amount">{amount}</span>}
      </div>
      <div
        class="progress-track"
        role="progressbar"
        data-testid="progress"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={total || 1}
        aria-valuenow={total ? loaded : undefined}
        aria-valuetext={amount || label}
      >
        <div class={total ? 'progress-fill' : 'progress-fill indeterminate'} style={{ width: total ? `${(100 * loaded) / total}%` : '40%' }} />
      </div>
    </div>
  );
}
