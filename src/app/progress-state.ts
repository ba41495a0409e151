/** What the progress bar shows: a phase's label and how far it is. */
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
