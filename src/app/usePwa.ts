/** The installed app's shell: the service worker (and its "new version ready" prompt), and whether the device is offline. */
import { useEffect, useState } from 'preact/hooks';
import { registerServiceWorker } from '../pwa.ts';

export function usePwa(embedded: boolean): { offline: boolean; applyUpdate: (() => void) | undefined } {
  const [offline, setOffline] = useState(!navigator.onLine);
  const [applyUpdate, setApplyUpdate] = useState<() => void>();
  useEffect(() => {
    if (!embedded) registerServiceWorker({ onUpdateReady: (apply) => setApplyUpdate(() => apply), onOfflineReady: () => undefined });
    const online = () => setOffline(false);
    const offlineNow = () => setOffline(true);
    addEventListener('online', online);
    addEventListener('offline', offlineNow);
    return () => {
      removeEventListener('online', online);
      removeEventListener('offline', offlineNow);
    };
  }, []);
  return { offline, applyUpdate };
}
