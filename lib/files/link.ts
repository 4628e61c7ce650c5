import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * File links: what Webim's operator desk fetches to show a file the user sent. A link names the
 * file by a sealed token — AES-256-GCM under a key derived from FILE_LINK_SECRET — so the URL
 * never carries the bot token or the Telegram file_id in the clear, cannot be altered (GCM
 * authenticates it) and ends at its expiry. Nothing is stored: the token is the whole record.
 */
export interface FileLinkPayload {
  /** Telegram file_id. */
  fileId: string;
  /** The name the download gets (Content-Disposition). */
  name: string;
  mediaType: string;
  /** Expiry, epoch seconds. */
  expiresAt: number;
}

export type OpenedLink = { ok: true; file: FileLinkPayload } | { ok: false; reason: 'malformed' | 'forged' | 'expired' };

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The key of the current secret, derived once rather than for every link sealed or opened. */
let derived: { secret: string; key: Buffer } | undefined;
const keyFor = (secret: string): Buffer => {
  if (derived?.secret !== secret)
    derived = { secret, key: Buffer.from(hkdfSync('sha256', secret, 'telegram-webim-bridge', 'file-link-v1', 32)) };
  return derived.key;
};

/** Seals a file reference into a URL-safe token. */
export function sealFileLink(secret: string, file: FileLinkPayload): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keyFor(secret), iv);
  const body = Buffer.from(JSON.stringify({ f: file.fileId, n: file.name, t: file.mediaType, e: file.expiresAt }));
  const sealed = Buffer.concat([cipher.update(body), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, sealed, cipher.getAuthTag()]).toString('base64url');
}

/** Opens a token: the file it names, or why it is refused (no upstream call is needed to decide). */
export function openFileLink(secret: string, token: string, nowSeconds = Math.floor(Date.now() / 1000)): OpenedLink {
  if (!/^[A-Za-z0-9_-]{40,2048}$/.test(token)) return { ok: false, reason: 'malformed' };
  const raw = Buffer.from(token, 'base64url');
  if (raw[0] !== VERSION || raw.length < 1 + IV_BYTES + TAG_BYTES + 2) return { ok: false, reason: 'malformed' };
  const iv = raw.subarray(1, 1 + IV_BYTES);
  const tag = raw.subarray(raw.length - TAG_BYTES);
  const sealed = raw.subarray(1 + IV_BYTES, raw.length - TAG_BYTES);
  let body: { f?: unknown; n?: unknown; t?: unknown; e?: unknown };
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyFor(secret), iv);
    decipher.setAuthTag(tag);
    body = JSON.parse(Buffer.concat([decipher.update(sealed), decipher.final()]).toString('utf8'));
  } catch {
    return { ok: false, reason: 'forged' };
  }
  if (typeof body.f !== 'string' || typeof body.n !== 'string' || typeof body.t !== 'string' || typeof body.e !== 'number')
    return { ok: false, reason: 'malformed' };
  if (body.e < nowSeconds) return { ok: false, reason: 'expired' };
  return { ok: true, file: { fileId: body.f, name: body.n, mediaType: body.t, expiresAt: body.e } };
}

/** The Content-Disposition for a download named `name` (RFC 6266 / 5987: ASCII fallback plus UTF-8). */
export function contentDisposition(name: string, inline: boolean): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `${inline ? 'inline' : 'attachment'}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
