import { useEffect, useRef, useState } from 'preact/hooks';
import { CameraCapture } from './CameraCapture.tsx';
import { listenForPastedPhotos } from './paste.ts';

/**
 * Every way in for a photo: choose a file, take one (the phone's camera app
 * through a `capture` input, or a live preview with "Use camera"), drag and
 * drop, or paste (Ctrl/Cmd+V anywhere on the page; not when embedded in a shop's
 * page, whose pastes are the shop's). Once a photo is chosen (`compact`) it folds to its buttons, so the
 * photo and its results sit higher on the screen.
 */
export function PhotoPicker({
  disabled,
  waitMessage,
  compact = false,
  onFiles,
  onMessage,
  pasteAnywhere = true,
}: {
  /** Models loading, or a photo being searched: the buttons are disabled, a pasted or dropped photo is answered with `waitMessage`. */
  disabled: boolean;
  waitMessage: string;
  compact?: boolean;
  onFiles: (files: File[]) => void;
  onMessage: (message: string) => void;
  pasteAnywhere?: boolean;
}) {
  const [dragging, setDragging] = useState(false);
  const latest = useRef({ disabled, waitMessage, onFiles, onMessage });
  latest.current = { disabled, waitMessage, onFiles, onMessage };

  useEffect(
    () =>
      pasteAnywhere
        ? listenForPastedPhotos(
            (files) => (latest.current.disabled ? latest.current.onMessage(latest.current.waitMessage) : latest.current.onFiles(files)),
            (message) => latest.current.onMessage(message),
          )
        : undefined,
    [pasteAnywhere],
  );

  const picked = (e: { currentTarget: HTMLInputElement }) => {
    const files = [...(e.currentTarget.files ?? [])];
    e.currentTarget.value = '';
    if (files.length) onFiles(files);
  };

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: a drop target for dragged files; its buttons are the accessible way in
    <div
      class={['dropzone', compact && 'compact', dragging && 'dragging'].filter(Boolean).join(' ')}
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        const files = [...(e.dataTransfer?.files ?? [])];
        if (!files.length) return;
        if (disabled) onMessage(waitMessage);
        else onFiles(files);
      }}
    >
      {!compact && <p class="dropzone-title">Snap, choose, drop or paste a photo of furniture or clothing</p>}
      <div class="picker-buttons">
        <label class={disabled ? 'button primary disabled' : 'button primary'}>
          Choose a photo
          <input class="visually-hidden" type="file" accept="image/*" data-testid="photo-input" disabled={disabled} onChange={picked} />
        </label>
        {/* Phones: opens the camera app directly (desktops hide this; they have "Use camera"). */}
        <label class={disabled ? 'button take-photo disabled' : 'button take-photo'}>
          Take a photo
          <input class="visually-hidden" type="file" accept="image/*" capture="environment" data-testid="photo-capture" disabled={disabled} onChange={picked} />
        </label>
        <CameraCapture disabled={disabled} onCapture={(file) => onFiles([file])} />
      </div>
      {!compact && (
        <p class="hint">
          Your photo stays on this device.{pasteAnywhere && <span class="keyboard-hint"> Tip: paste a copied image with Ctrl+V (⌘V on a Mac).</span>}
        </p>
      )}
    </div>
  );
}
