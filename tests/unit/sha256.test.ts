import { describe, expect, it } from 'vitest';
import { IntegrityError, isSha256, sha256Hex, verifyBytes } from '../../src/shared/sha256.ts';

const bytes = new TextEncoder().encode('abc').buffer as ArrayBuffer;
const ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

describe('sha256 verification', () => {
  it('hashes like the standard test vector', async () => {
    expect(await sha256Hex(bytes)).toBe(ABC);
  });
  it('accepts the right bytes', async () => {
    await expect(verifyBytes({ path: 'a.bin', bytes: 3, sha256: ABC }, bytes)).resolves.toBeUndefined();
  });
  it('names the file and says "truncated" when bytes are missing', async () => {
    const err = await verifyBytes({ path: 'm/weights.bin', bytes: 10, sha256: ABC }, bytes).catch((e) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect(err.message).toMatch(/m\/weights\.bin.*truncated \(3 of 10 bytes\)/);
  });
  it('rejects same-size bytes with the wrong hash', async () => {
    const other = new TextEncoder().encode('abd').buffer as ArrayBuffer;
    const err = await verifyBytes({ path: 'x.bin', bytes: 3, sha256: ABC }, other).catch((e) => e);
    expect(err.reason).toBe('sha256');
    expect(err.message).toContain('x.bin');
  });
  it('knows a digest as written in manifests and catalogs: 64 lowercase hex digits', () => {
    expect(isSha256(ABC)).toBe(true);
    expect(isSha256(ABC.toUpperCase())).toBe(false);
    expect(isSha256(ABC.slice(1))).toBe(false);
    expect(isSha256(`${ABC}0`)).toBe(false);
    expect(isSha256(` ${ABC.slice(1)}`)).toBe(false);
    expect(isSha256(undefined)).toBe(false);
  });
});
