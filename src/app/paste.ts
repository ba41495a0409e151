/** Pasting a photo (Ctrl/Cmd+V): the image files a paste event carries, and the page-wide listener. */

/** Image files in a clipboard: from `files`, or from file items (some browsers fill only one of the two). */
export function pastedImages(data: DataTransfer | null): File[] {
  if (!data) return [];
  const files = Array.from(data.files ?? []);
  const fromItems = Array.from(data.items ?? [])
    .filter((i) => i.kind === 'file')
    .map((i) => i.getAsFile())
    .filter((f): f is File => !!f);
  const all = files.length ? files : fromItems;
  return all.filter((f) => f.type.startsWith('image/') || f.type === '');
}

function isEditable(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return (
    target.isContentEditable ||
    target instanceof HTMLTextAreaElement ||
    (target instanceof HTMLInputElement && !['file', 'button', 'checkbox', 'radio', 'submit'].includes(target.type))
  );
}

export const NOTHING_TO_PASTE = 'The clipboard holds no image. Copy a photo itself (not its link or text) and paste again, or choose a photo.';

/**
 * Listens for pastes on the whole page: image files go to `onImages`; a paste
 * without an image outside a text field gets `onMessage`. Text pasted into a
 * text field is left alone. Returns the function that stops listening.
 */
export function listenForPastedPhotos(onImages: (files: File[]) => void, onMessage: (message: string) => void): () => void {
  const onPaste = (event: ClipboardEvent) => {
    const images = pastedImages(event.clipboardData);
    if (images.length) {
      event.preventDefault();
      onImages(images);
    } else if (!isEditable(event.target)) {
      onMessage(NOTHING_TO_PASTE);
    }
  };
  document.addEventListener('paste', onPaste);
  return () => document.removeEventListener('paste', onPaste);
}
