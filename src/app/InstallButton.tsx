/**
 * "Install app": shown only when the browser offers installation
 * (`beforeinstallprompt`, Chromium-based browsers); clicking opens the
 * browser's own install prompt. Hidden again once the shopper has chosen or
 * the app was installed.
 */
import { useEffect, useState } from 'preact/hooks';

/** The non-standard event Chromium fires when the app may be installed. */
export interface BeforeInstallPromptEvent extends Event {
  prompt(): Promise<unknown>;
  readonly userChoice: Promise<{ outcome: 'accepted' | 'dismissed'; platform?: string }>;
}

/** The kept install event while installation is on offer, else undefined. */
export function useInstallPrompt(): [BeforeInstallPromptEvent | undefined, () => void] {
  const [offer, setOffer] = useState<BeforeInstallPromptEvent>();
  useEffect(() => {
    const onOffer = (event: Event) => {
      event.preventDefault(); // keep the browser's mini-infobar away; our button asks instead
      setOffer(event as BeforeInstallPromptEvent);
    };
    const onInstalled = () => setOffer(undefined);
    addEventListener('beforeinstallprompt', onOffer);
    addEventListener('appinstalled', onInstalled);
    return () => {
      removeEventListener('beforeinstallprompt', onOffer);
      removeEventListener('appinstalled', onInstalled);
    };
  }, []);
  return [offer, () => setOffer(undefined)];
}

export function InstallButton() {
  const [offer, clear] = useInstallPrompt();
  if (!offer) return null;
  const install = async () => {
    try {
      await offer.prompt();
      await offer.userChoice;
    } catch (error) {
      console.warn('The install prompt could not be shown:', error);
    } finally {
      clear(); // the event can prompt only once either way
    }
  };
  return (
    <button type="button" class="button small install" data-testid="install" onClick={() => void install()}>
      Install app
    </button>
  );
}
