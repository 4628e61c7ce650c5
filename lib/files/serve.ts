import type { Readable } from 'node:stream';
import { getStream } from '../http/stream-client';
import type { Logger } from '../log';
import type { Settings } from '../settings/schema';
import type { TelegramClient } from '../telegram/client';
import { classifyTelegramError } from '../telegram/errors';
import { contentDisposition, openFileLink } from './link';

/** What to answer a GET /files/<token>: status and headers, and the bytes as a stream. */
export interface FileAnswer {
  status: number;
  headers: Record<string, string>;
  /** The file's bytes, straight from Telegram (never buffered whole, never stored). */
  body?: Readable;
  /** Why there is no file (logged; the client sees only a short JSON error). */
  reason?: string;
}

/**
 * On every answer: a file is never a page. `sandbox` gives any document the browser renders from
 * here a unique origin with scripts off, and `nosniff` stops it guessing an active type.
 */
const SAFE_HEADERS = { 'content-security-policy': 'sandbox', 'x-content-type-options': 'nosniff' };

/**
 * Types shown in the browser (inline); everything else — SVG, HTML, XML, PDF, unknown — is a
 * download (attachment), so nothing a user sent can run as a page on this origin.
 */
const INLINE_TYPES = /^(image\/(jpeg|png|webp|gif)|audio\/[\w.+-]+|video\/[\w.+-]+)$/;

/** Whether a file of this media type may be shown inline. */
const servedInline = (mediaType: string): boolean => INLINE_TYPES.test(mediaType.toLowerCase());

export const refuse = (status: number, reason: string): FileAnswer => ({
  status,
  reason,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...SAFE_HEADERS },
});

/**
 * Serves a file link: verify the sealed token (a wrong, tampered or expired link is refused
 * without any Telegram call), ask Telegram where the file is (getFile), then stream it from
 * Telegram's file endpoint with Content-Type, Content-Length and Content-Disposition.
 */
export async function openFileAnswer(
  deps: { settings: Settings; telegram: TelegramClient; log: Logger },
  token: string,
  timeoutMs = 10_000,
): Promise<FileAnswer> {
  const secret = deps.settings.FILE_LINK_SECRET;
  if (!secret) return refuse(404, 'file_links_not_configured');
  const opened = openFileLink(secret, token);
  if (!opened.ok) return refuse(opened.reason === 'expired' ? 404 : 403, `link_${opened.reason}`);
  const { file } = opened;

  let filePath: string | undefined;
  try {
    filePath = (await deps.telegram.getFile(file.fileId, timeoutMs)).file_path;
  } catch (error) {
    const c = classifyTelegramError(error);
    if (c.action === 'permanent') return refuse(404, `telegram_${c.reason}`); // gone, or over the 20 MB bot limit
    return refuse(c.action === 'configuration' ? 502 : 503, `telegram_${c.reason}`);
  }
  if (!filePath) return refuse(404, 'telegram_no_file_path');

  let upstream: Awaited<ReturnType<typeof getStream>>;
  try {
    upstream = await getStream(deps.telegram.fileDownloadUrl(filePath), { timeoutMs });
  } catch (error) {
    return refuse(503, `telegram_download_${(error as { reason?: string }).reason ?? 'network'}`);
  }
  if (upstream.statusCode !== 200) {
    upstream.resume();
    return refuse(upstream.statusCode === 404 ? 404 : 502, `telegram_download_${upstream.statusCode}`);
  }
  const headers: Record<string, string> = {
    'content-type': file.mediaType,
    'content-disposition': contentDisposition(file.name, servedInline(file.mediaType)),
    'cache-control': 'private, max-age=3600',
    ...SAFE_HEADERS,
  };
  const length = upstream.headers['content-length'];
  if (length && /^\d+$/.test(length)) headers['content-length'] = length;
  return { status: 200, headers, body: upstream };
}
