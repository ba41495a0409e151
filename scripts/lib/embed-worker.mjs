// The entry point of an embedding worker thread: lets Node load TypeScript (tsx), then runs embed-worker.ts.
import { register } from 'tsx/esm/api';

register();
await import('./embed-worker.ts');
