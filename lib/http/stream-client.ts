import type { IncomingMessage } from 'node:http';
import https from 'node:https';
import { HttpTransportError } from './json-client';
import { http } from './node-http';

const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 16 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 16 }),
};

/**
 * Starts a GET and resolves with the response as a stream once its headers arrive, without
 * reading the body: files pass through the bridge, never held whole in memory nor written to
 * disk. Redirects are not followed (the caller decides whether a Location is acceptable).
 * Rejects with HttpTransportError (a short code, never the URL: it may hold the bot token) when no
 * answer comes within `timeoutMs`; after the headers, the body has `idleMs` between chunks.
 */
export function getStream(
  url: URL,
  options: { timeoutMs: number; idleMs?: number; headers?: Record<string, string> },
): Promise<IncomingMessage> {
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(
      url,
      { method: 'GET', agent: agents[url.protocol as 'http:' | 'https:'], headers: options.headers },
      (res) => {
        clearTimeout(timer);
        res.setTimeout(options.idleMs ?? 15_000, () => res.destroy(new HttpTransportError('body_timeout')));
        resolve(res);
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      reject(new HttpTransportError('timeout'));
    }, options.timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new HttpTransportError(typeof error.code === 'string' ? error.code : 'network'));
    });
    req.end();
  });
}
