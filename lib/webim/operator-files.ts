import type { IncomingMessage } from 'node:http';
import { isLoopbackHost } from '../core/loopback';
import { getStream } from '../http/stream-client';
import type { OperatorFile } from './wire';

/** Why an operator file cannot be fetched: `permanent` ones get the user a note instead; `transient` ones are retried. */
export class OperatorFileError extends Error {
  override readonly name = 'OperatorFileError';
  constructor(
    readonly kind: 'permanent' | 'transient',
    readonly reason: string,
  ) {
    super(`operator file not fetched: ${reason}`);
  }
}

/** Operator files are downloaded up to this size (and streamed, never stored). */
export const OPERATOR_FILE_LIMIT_BYTES = 50 * 1024 * 1024;
const MAX_REDIRECTS = 3;

/** The hosts operator files may come from: WEBIM_FILE_HOSTS, else the host of WEBIM_API_URL. */
export function allowedFileHosts(settings: { WEBIM_FILE_HOSTS?: string; WEBIM_API_URL: string }): string[] {
  const listed = settings.WEBIM_FILE_HOSTS?.split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  return listed?.length ? listed : [new URL(settings.WEBIM_API_URL).hostname.toLowerCase()];
}

function checkedUrl(raw: string, base: URL | undefined, hosts: string[]): URL {
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    throw new OperatorFileError('permanent', 'file_url_invalid');
  }
  const host = url.hostname.toLowerCase();
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(host)))
    throw new OperatorFileError('permanent', 'file_url_not_https');
  if (!hosts.includes(host) && !hosts.includes(url.host.toLowerCase())) throw new OperatorFileError('permanent', 'file_host_not_allowed');
  return url;
}

/**
 * Starts downloading an operator file: only from allowed hosts over HTTPS (loopback excepted),
 * following at most three redirects, each checked against the same list; refused above 50 MB.
 * Resolves with the response stream (the body unread) and what it says about the file.
 */
export async function openOperatorFile(
  file: OperatorFile,
  options: { allowedHosts: string[]; timeoutMs: number; maxBytes?: number },
): Promise<{ body: IncomingMessage; length?: number; mediaType?: string }> {
  const maxBytes = options.maxBytes ?? OPERATOR_FILE_LIMIT_BYTES;
  if (file.size !== undefined && file.size > maxBytes) throw new OperatorFileError('permanent', 'file_too_large');
  let url = checkedUrl(file.url, undefined, options.allowedHosts);
  for (let hop = 0; ; hop++) {
    let res: IncomingMessage;
    try {
      res = await getStream(url, { timeoutMs: options.timeoutMs });
    } catch (error) {
      throw new OperatorFileError('transient', `file_host_${(error as { reason?: string }).reason ?? 'network'}`);
    }
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location) {
      res.resume();
      if (hop >= MAX_REDIRECTS) throw new OperatorFileError('permanent', 'file_too_many_redirects');
      url = checkedUrl(res.headers.location, url, options.allowedHosts);
      continue;
    }
    if (status !== 200) {
      res.resume();
      if (status === 404 || status === 410) throw new OperatorFileError('permanent', `file_gone_${status}`);
      if (status === 408 || status === 429 || status >= 500) throw new OperatorFileError('transient', `file_host_${status}`);
      throw new OperatorFileError('permanent', `file_refused_${status}`);
    }
    const length = /^\d+$/.test(res.headers['content-length'] ?? '') ? Number(res.headers['content-length']) : undefined;
    if (length !== undefined && length > maxBytes) {
      res.destroy();
      throw new OperatorFileError('permanent', 'file_too_large');
    }
    const type = res.headers['content-type']?.split(';')[0]?.trim();
    return { body: res, length, mediaType: type || undefined };
  }
}
