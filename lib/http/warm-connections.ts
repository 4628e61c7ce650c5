import https from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as connectTls, type TLSSocket } from 'node:tls';

/**
 * A warm connection is handed out only this soon after it was opened: servers close idle
 * keep-alive connections after some seconds (commonly 60 or more), and a socket closed by the
 * server but not yet noticed would fail the request that takes it.
 */
const WARM_MAX_AGE_MS = 15_000;

/**
 * The keep-alive HTTPS agent of the upstream calls, able to open a connection before the first
 * request needs it. During a cold start the TCP and TLS handshakes to Telegram and Webim (two
 * round trips, about 80 ms at a 40 ms RTT) then overlap the settings read and the database
 * connection instead of following them.
 *
 * A warm connection is a plain TLS connection with the agent's own TLS options, handed to the
 * first request to that host and port through the agent's documented `createConnection` hook;
 * from then on the agent pools it like any other. Nothing is sent on it before that request.
 */
export class WarmableAgent extends https.Agent {
  private readonly warm = new Map<string, { socket: TLSSocket; openedAt: number }[]>();

  /**
   * Opens one connection to the URL's host, TLS included, for the next request there. The
   * connection is offered as soon as it is opened: a request that comes during the handshake
   * takes it and is sent when the handshake is done, rather than starting another connection.
   * Resolves true once the connection is ready, false when it failed or was not ready within
   * `timeoutMs` (a connection still unused then is closed; the request connects as usual).
   * Never rejects.
   */
  warmUp(url: string | URL, timeoutMs: number): Promise<boolean> {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return Promise.resolve(false);
    }
    if (target.protocol !== 'https:') return Promise.resolve(false);
    const host = target.hostname.replace(/^\[|\]$/g, '');
    const port = Number(target.port || 443);
    const key = keyOf(host, port);
    return new Promise((resolve) => {
      const socket = connectTls({
        ...this.tlsOptions(),
        host,
        port,
        ...(isIP(host) ? {} : { servername: host }),
      });
      const entry = { socket, openedAt: Date.now() };
      this.warm.set(key, [...(this.warm.get(key) ?? []), entry]);
      const timer = setTimeout(() => {
        if (this.forget(key, socket)) socket.destroy();
        resolve(false);
      }, timeoutMs);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        resolve(true);
      });
      // Before a request took it, a failure only forgets it; after, the request hears of it too.
      socket.on('error', () => {
        clearTimeout(timer);
        if (this.forget(key, socket)) socket.destroy();
        resolve(false);
      });
      socket.once('close', () => this.forget(key, socket));
    });
  }

  /** How many warm connections wait unused (tests). */
  get warmConnections(): number {
    let n = 0;
    for (const list of this.warm.values()) n += list.length;
    return n;
  }

  override createConnection(
    options: https.RequestOptions,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    const host = (options.hostname ?? options.host ?? '').replace(/^\[|\]$/g, '');
    const list = this.warm.get(keyOf(host, Number(options.port || 443)));
    while (list?.length) {
      const entry = list.shift();
      if (!entry) break;
      if (!entry.socket.destroyed && Date.now() - entry.openedAt <= WARM_MAX_AGE_MS) return entry.socket;
      entry.socket.destroy();
    }
    return super.createConnection(options, callback);
  }

  /** Takes an unused warm connection off the list; false when a request had already taken it. */
  private forget(key: string, socket: TLSSocket): boolean {
    const list = this.warm.get(key);
    const i = list?.findIndex((e) => e.socket === socket) ?? -1;
    if (!list || i < 0) return false;
    list.splice(i, 1);
    return true;
  }

  /** The agent's own TLS settings (a CA for tests), so a warm connection trusts what a request would. */
  private tlsOptions() {
    const { ca, cert, key, rejectUnauthorized } = this.options;
    return {
      ...(ca !== undefined ? { ca } : {}),
      ...(cert !== undefined ? { cert } : {}),
      ...(key !== undefined ? { key } : {}),
      ...(rejectUnauthorized !== undefined ? { rejectUnauthorized } : {}),
    };
  }
}

const keyOf = (host: string, port: number) => `${host.toLowerCase()}:${port}`;

/** The process-wide agent of lib/http/json-client's HTTPS calls. */
export const httpsAgent = new WarmableAgent({ keepAlive: true, maxSockets: 64 });

/** Opens a connection to each URL's host for the upstream calls to come (see WarmableAgent). Never rejects. */
export function warmUpConnections(urls: (string | undefined)[], timeoutMs: number): Promise<boolean[]> {
  const unique = [...new Set(urls.filter((u): u is string => !!u))];
  return Promise.all(unique.map((u) => httpsAgent.warmUp(u, timeoutMs)));
}
