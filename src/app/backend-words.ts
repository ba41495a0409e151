/** The compute backend in words, for the badge: why this one ("faster than this software GPU") and the timings behind it. */
import type { BackendChoice, BackendMeasurement } from '../shared/worker-api/index.ts';

const GPU_BACKENDS = ['webgpu', 'webgl'];

/** Why this backend, in a few plain words (empty when there is nothing to say). */
export function backendReason(choice: BackendChoice): string {
  if (choice.how === 'forced') return 'as requested';
  const others = (choice.measurements ?? []).filter((m) => m.backend !== choice.backend);
  if (choice.how === 'only' || !others.length) return choice.fallbacks.length ? 'the only engine that started' : '';
  if (GPU_BACKENDS.includes(choice.backend)) return `faster than ${others.map((m) => m.backend).join(' and ')} here`;
  const gpu = others.find((m) => GPU_BACKENDS.includes(m.backend));
  if (!gpu) return `faster than ${others.map((m) => m.backend).join(' and ')} here`;
  return choice.gpu?.software ? 'faster than this software GPU' : 'faster than this GPU';
}

function timing(m: BackendMeasurement): string {
  const ready = m.abandoned ? '' : `ready in ${(m.startMs / 1000).toFixed(1)} s`;
  const time = m.warmMs !== undefined ? `${m.warmMs < 10 ? m.warmMs.toFixed(1) : Math.round(m.warmMs)} ms a photo` : '';
  return `${m.backend}: ${[ready, time, m.abandoned].filter(Boolean).join(', ') || 'not timed'}`;
}

/** The badge's tooltip: the backend's description, the GPU it was compared with, the timings and when. */
export function backendDetails(choice: BackendChoice): string {
  const lines = [choice.detail];
  if (choice.gpu) lines.push(`GPU: ${choice.gpu.description}${choice.gpu.software ? ' (software, runs on the CPU)' : ''}`);
  if (choice.measurements?.length)
    lines.push(
      `Measured: ${choice.measurements.map(timing).join('; ')}${choice.choiceMs !== undefined ? ` (choosing took ${(choice.choiceMs / 1000).toFixed(1)} s)` : ''}`,
    );
  if (choice.how === 'remembered' && choice.measuredAt)
    lines.push(`Remembered from ${new Date(choice.measuredAt).toLocaleString()} for this browser, GPU and models.`);
  if (choice.how === 'forced') lines.push('Chosen by the page (?backend= or the backend attribute), not measured.');
  return lines.join('\n');
}
