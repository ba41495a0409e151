/** The app's status line ("Ready on webgpu…", errors in words) and its progress bar, which every flow reports to. */
import { useState } from 'preact/hooks';
import type { ProgressState } from './progress-state.ts';

export interface Feedback {
  setStatus(text: string): void;
  setProgress(progress: ProgressState): void;
}

export function useStatusLine(): Feedback & { status: string; progress: ProgressState } {
  const [status, setStatus] = useState('Loading the image models…');
  const [progress, setProgress] = useState<ProgressState>({ label: 'Starting', loaded: 0, total: 0, unit: 'none' });
  return { status, setStatus, progress, setProgress };
}
