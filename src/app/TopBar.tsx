import type { InitInfo } from '../shared/worker-api/index.ts';
import { backendDetails, backendReason } from './backend-words.ts';
import { InstallButton } from './InstallButton.tsx';

/** The app's title and badges: install, offline, and the compute backend in use. */
export function TopBar({ embedded, offline, info }: { embedded: boolean; offline: boolean; info: InitInfo | undefined }) {
  const reason = info ? backendReason(info.backend) : '';
  return (
    <header class="topbar">
      <h1>Lookalike</h1>
      <div class="badges">
        {!embedded && <InstallButton />}
        {offline && <span class="badge offline">Offline</span>}
        <span class="badge" data-testid="backend-badge" data-how={info?.backend.how} title={info ? backendDetails(info.backend) : 'starting'}>
          <span data-testid="backend">{info?.backend.backend ?? '…'}</span>
          {reason && <span data-testid="backend-reason"> · {reason}</span>}
        </span>
      </div>
    </header>
  );
}
