/** Camera helpers: opening the rear camera with plain-language errors, and grabbing a frame as a photo file. */
import { errorMessage, LookalikeError } from '../shared/errors.ts';

export class CameraError extends LookalikeError {
  override name = 'CameraError';
}

/** Why there is no camera preview, in words a shopper can act on. */
export function cameraErrorMessage(error: unknown): string {
  const name = error instanceof Error || error instanceof DOMException ? error.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
      return 'Camera access was denied. Allow the camera for this site in your browser’s settings, or choose a photo instead.';
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
      return 'No camera was found on this device. Choose a photo instead.';
    case 'NotReadableError':
    case 'TrackStartError':
      return 'The camera is busy in another app or could not start. Close the other app and try again, or choose a photo.';
    case 'SecurityError':
      return 'The browser blocked the camera on this page. Choose a photo instead.';
    case 'CameraError':
      return (error as Error).message;
    default:
      return `The camera could not start (${errorMessage(error)}). Choose a photo instead.`;
  }
}

/** Opens the rear camera (any camera where there is no rear one). */
export async function openRearCamera(): Promise<MediaStream> {
  if (!window.isSecureContext) throw new CameraError('The camera works only on a secure (https) page. Choose a photo instead.');
  if (!navigator.mediaDevices?.getUserMedia)
    throw new CameraError('This browser cannot show a camera preview. Choose a photo instead (on a phone, “Take a photo” opens the camera app).');
  return navigator.mediaDevices.getUserMedia({
    video: { facingMode: { ideal: 'environment' }, width: { ideal: 1920 }, height: { ideal: 1080 } },
    audio: false,
  });
}

export function stopStream(stream: MediaStream | undefined): void {
  stream?.getTracks().forEach((t) => t.stop());
}

/** `camera-HHMMSS.jpg` for the moment given. */
export function cameraFileName(now = new Date()): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `camera-${two(now.getHours())}${two(now.getMinutes())}${two(now.getSeconds())}.jpg`;
}

/** The video's current frame as a JPEG file, at the camera's full resolution. */
export async function grabFrame(video: HTMLVideoElement, now = new Date()): Promise<File> {
  const width = video.videoWidth;
  const height = video.videoHeight;
  if (!width || !height) throw new CameraError('The camera has not shown a picture yet. Wait a moment and press the shutter again.');
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  canvas.getContext('2d')!.drawImage(video, 0, 0, width, height);
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.92));
  if (!blob) throw new CameraError('The camera picture could not be saved. Try again.');
  return new File([blob], cameraFileName(now), { type: 'image/jpeg', lastModified: now.getTime() });
}
