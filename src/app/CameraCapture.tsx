/**
 * "Use camera": a modal dialog with the rear camera's live preview, a shutter
 * and Cancel. The captured frame goes to `onCapture` as a camera-HHMMSS.jpg
 * file, the same way a chosen photo does. The camera is switched off whenever
 * the dialog closes (shutter, Cancel, Escape).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { cameraErrorMessage, grabFrame, openRearCamera, stopStream } from './camera.ts';

export function CameraCapture({ disabled, onCapture }: { disabled: boolean; onCapture: (file: File) => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const video = useRef<HTMLVideoElement>(null);
  const stream = useRef<MediaStream>();
  const [open, setOpen] = useState(false);
  const [live, setLive] = useState(false);
  const [message, setMessage] = useState('');

  const stop = () => {
    stopStream(stream.current);
    stream.current = undefined;
    setLive(false);
  };

  const close = () => {
    stop();
    setOpen(false);
    if (dialog.current?.open) dialog.current.close();
  };

  const start = async () => {
    setMessage('Starting the camera…');
    setOpen(true);
    dialog.current?.showModal();
    try {
      const s = await openRearCamera();
      if (!dialog.current?.open) return stopStream(s); // closed while the browser was asking
      stream.current = s;
      video.current!.srcObject = s;
      await video.current!.play().catch(() => undefined);
      setLive(true);
      setMessage('Point the camera at the product, then press the shutter.');
    } catch (error) {
      setMessage(cameraErrorMessage(error));
    }
  };

  const shoot = async () => {
    try {
      const file = await grabFrame(video.current!);
      close();
      onCapture(file);
    } catch (error) {
      setMessage(cameraErrorMessage(error));
    }
  };

  useEffect(() => () => stopStream(stream.current), []);

  return (
    <>
      <button type="button" class="button use-camera" data-testid="camera-open" disabled={disabled} onClick={() => void start()}>
        Use camera
      </button>
      <dialog ref={dialog} class="camera-dialog" aria-labelledby="camera-title" data-testid="camera-dialog" onClose={() => open && close()}>
        <h2 id="camera-title">Take a photo</h2>
        <div class="camera-view">
          <video ref={video} class={live ? 'camera-preview' : 'camera-preview off'} playsInline muted aria-label="Camera preview" />
        </div>
        <p class="camera-message" role="status" data-testid="camera-message">
          {message}
        </p>
        <div class="row camera-actions">
          <button type="button" class="button primary shutter" data-testid="camera-shutter" disabled={!live} onClick={() => void shoot()}>
            Take photo
          </button>
          <button type="button" class="button" data-testid="camera-cancel" onClick={close}>
            {live ? 'Cancel' : 'Close'}
          </button>
        </div>
      </dialog>
    </>
  );
}
