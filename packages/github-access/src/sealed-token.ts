import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

// The post step must revoke an installation token that main may not have revoked (main was killed). The runner
// keeps saved state in a file under RUNNER_TEMP, so the token is sealed there with a key derived from the App's
// private key, which the post step receives again as an input and nothing else on the runner holds.

const INFO = 'hub-image-actions installation token';

function keyFrom(privateKey: string, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(privateKey.trim()), salt, INFO, 32));
}

export function sealToken(token: string, privateKey: string): string {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFrom(privateKey, salt), iv);
  const sealed = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
  return Buffer.concat([salt, iv, cipher.getAuthTag(), sealed]).toString('base64url');
}

/** The token, or undefined when `sealed` was not made with this key (or was altered). */
export function openSealedToken(sealed: string, privateKey: string): string | undefined {
  const bytes = Buffer.from(sealed, 'base64url');
  if (bytes.length <= 44) return undefined;
  try {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      keyFrom(privateKey, bytes.subarray(0, 16)),
      bytes.subarray(16, 28),
    );
    decipher.setAuthTag(bytes.subarray(28, 44));
    return Buffer.concat([decipher.update(bytes.subarray(44)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
