import { LookalikeError } from './errors.ts';

/** A SHA-256 digest as the manifests, catalogs and stores write it: 64 lowercase hex digits. */
export function isSha256(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
}

/** SHA-256 as lowercase hex, with WebCrypto (page, worker and Node 20 alike). */
export async function sha256Hex(data: ArrayBuffer | ArrayBufferView): Promise<string> {
  const view = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const digest = await crypto.subtle.digest('SHA-256', view as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

export class IntegrityError extends LookalikeError {
  override name = 'IntegrityError';
  constructor(
    readonly file: string,
    readonly reason: 'size' | 'sha256',
    detail: string,
  ) {
    super(`${file} is damaged: ${detail}`);
  }
}

/** Throws IntegrityError naming the file if the bytes are not what the manifest says. */
export async function verifyBytes(file: { path: string; bytes: number; sha256: string }, data: ArrayBuffer): Promise<void> {
  if (data.byteLength !== file.bytes) {
    throw new IntegrityError(
      file.path,
      'size',
      data.byteLength < file.bytes ? `truncated (${data.byteLength} of ${file.bytes} bytes)` : `${data.byteLength} bytes where ${file.bytes} were expected`,
    );
  }
  const actual = await sha256Hex(data);
  if (actual !== file.sha256) throw new IntegrityError(file.path, 'sha256', `sha256 ${actual.slice(0, 12)}… does not match ${file.sha256.slice(0, 12)}…`);
}
