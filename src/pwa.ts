/** Service worker registration (workbox-window), the update prompt, and persistent storage. */
import { Workbox } from 'workbox-window';

export interface PwaHooks {
  /** A new version is installed and waiting; call `apply` to switch to it (the page reloads). */
  onUpdateReady(apply: () => void): void;
  onOfflineReady(): void;
}

export function registerServiceWorker(hooks: PwaHooks): void {
  if (!('serviceWorker' in navigator) || import.meta.env.DEV) return;
  const wb = new Workbox(new URL('sw.js', document.baseURI).href, { scope: './' });
  wb.addEventListener('waiting', () => {
    hooks.onUpdateReady(() => {
      wb.addEventListener('controlling', () => window.location.reload());
      wb.messageSkipWaiting();
    });
  });
  wb.addEventListener('activated', (event) => {
    if (!event.isUpdate) hooks.onOfflineReady();
  });
  // Without a service worker the app still works online; offline use just is not set up this visit.
  wb.register().catch((error: unknown) => console.warn('Service worker registration failed:', error));
}

/** Asks the browser not to evict our stored models and data (Safari drops them after 7 idle days otherwise). */
export async function requestPersistentStorage(): Promise<boolean> {
  if (!navigator.storage?.persist) return false;
  if (await navigator.storage.persisted()) return true;
  return navigator.storage.persist();
}
