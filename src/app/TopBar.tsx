import type { InitInfo } from '../shared/worker-api/index.ts';
import { InstallButton } from './InstallButton.tsx';

/** The app's title and badges: install, offline, and the compute backend in use. */
export function TopBar({ embedded, offline, info }: { embedded: boolean; offline: boolean; info: InitInfo | undefined }) {
  return (
    <header class="topbar">
      <h1>Lookalike</h1>
      <div class="badges">
        {!embedded && <InstallButton />}
        {offline && <span class="badge offline">Offline</span>}
        <span class="badge" data-testid="backend" title={info ? info.backend.detail : 'starting'}>
          {info?.backend.backend ?? '…'}
        </span>
      </div>
    </header>
  );
}
