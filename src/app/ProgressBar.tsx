import { formatMB } from './format.ts';
import type { ProgressState } from './progress-state.ts';

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
        {amount && (
          <span class="progress-amount" data-testid="progress-amount">
            {amount}
          </span>
        )}
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
