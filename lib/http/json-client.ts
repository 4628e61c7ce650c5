import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import https from 'node:https';
import { http } from './node-http';
import { httpsAgent } from './warm-connections';

/**
 * A small JSON-over-HTTP POST for the upstream calls (Telegram, Webim, SSM), on node:http(s) with
 * keep-alive agents. Chosen over fetch because Node's fetch costs ~50 ms on its first call in a
 * fresh process — a large share of a Lambda cold start (see bench/).
 */

const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 64 }),
  'https:': httpsAgent, // keep-alive, and can be warmed up during a cold start (warm-connections.ts)
};

/** Upstream answers are small; anything bigger is cut off rather than buffered. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

export interface JsonResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The parsed body, or undefined when it was empty or not JSON. */
  json: unknown;
}

/** No usable response: timeout, refused, reset, DNS. `reason` is a short code, never a URL. */
export class HttpTransportError extends Error {
  override readonly name = 'HttpTransportError';
  constructor(
    readonly reason: string,
    /**
     * The whole request had been handed to the network before the failure (a timeout or a reset
     * while waiting for the answer): the peer may have acted on it. False when it never left
     * (refused, DNS, a connect that timed out).
     */
    readonly mayHaveArrived = false,
  ) {
    super(`request failed: ${reason}`);
  }
}

/** Codes that mean a kept-alive socket had been closed by the server while we were idle (or frozen). */
const STALE_SOCKET = new Set(['ECONNRESET', 'EPIPE']);

/**
 * POSTs JSON and resolves with the status and parsed body of any HTTP answer; rejects with
 * HttpTransportError only when there is no answer. A request that failed on a reused keep-alive
 * socket the server had already closed (typical after a Lambda thaw) is sent once more on a
 * fresh connection — but only when not a byte of it had been written to that socket: once any
 * was, the server may have read the whole request and acted on it before the connection dropped,
 * and sending it again could deliver it twice (that failure is the ambiguous case instead).
 * A request marked `idempotent` (its receiver drops a repeat by an id it carries, or it changes
 * nothing) is sent again in that case too.
 */
export async function postJson(url: string, body: unknown, options: RequestOptions): Promise<JsonResponse> {
  return requestJson('POST', url, Buffer.from(JSON.stringify(body)), options);
}

/** POSTs a body that is already encoded (a signed request must send exactly the bytes it signed). */
export async function postBody(url: string, payload: Buffer, options: RequestOptions): Promise<JsonResponse> {
  return requestJson('POST', url, payload, options);
}

/** A GET with the same answer handling (health probes: no body, nothing created upstream). */
export async function getJson(url: string, options: RequestOptions): Promise<JsonResponse> {
  return requestJson('GET', url, undefined, options);
}

export interface RequestOptions {
  headers?: Record<string, string>;
  timeoutMs: number;
  /** A repeat of this request is harmless: it may be sent again even when a dead socket had taken some of it. */
  idempotent?: boolean;
}

async function requestJson(
  method: 'GET' | 'POST',
  url: string,
  payload: Buffer | undefined,
  options: RequestOptions,
): Promise<JsonResponse> {
  const target = new URL(url);
  try {
    return await attempt(method, target, payload, options);
  } catch (error) {
    if (error instanceof StaleSocketError && (!error.partlyWritten || options.idempotent || method === 'GET'))
      return attempt(method, target, payload, options);
    throw error;
  }
}

/** A reused keep-alive socket failed as a closed one does; `partlyWritten` when some of the request had gone into it. */
class StaleSocketError extends HttpTransportError {
  constructor(
    reason: string,
    mayHaveArrived: boolean,
    readonly partlyWritten: boolean,
  ) {
    super(reason, mayHaveArrived);
  }
}

function attempt(method: 'GET' | 'POST', target: URL, payload: Buffer | undefined, options: RequestOptions): Promise<JsonResponse> {
  const transport = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    let settled = false;
    let written = false;
    /** Bytes the socket had written before this request (a kept-alive socket counts its earlier ones). */
    let bytesBefore: number | undefined;
    const fail = (reason: string, stale?: { partlyWritten: boolean }) => {
      if (settled) return;
      settled = true;
      reject(stale ? new StaleSocketError(reason, written, stale.partlyWritten) : new HttpTransportError(reason, written));
    };
    const req = transport.request(
      target,
      {
        method,
        agent: agents[target.protocol as 'http:' | 'https:'],
        headers: {
          ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
          accept: 'application/json',
          ...options.headers,
        },
      },
      (res) => {
        readJsonBody(res).then(
          (json) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            resolve({ status: res.statusCode ?? 0, headers: res.headers, json });
          },
          () => fail('response_aborted'),
        );
      },
    );
    const timer = setTimeout(() => {
      fail('timeout');
      req.destroy();
    }, options.timeoutMs);
    req.on('socket', (socket) => {
      bytesBefore = socket.bytesWritten;
    });
    req.on('finish', () => (written = true));
    req.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const code = typeof error.code === 'string' ? error.code : 'network';
      const partlyWritten = written || (bytesBefore !== undefined && (req.socket?.bytesWritten ?? 0) > bytesBefore);
      fail(code, req.reusedSocket && STALE_SOCKET.has(code) ? { partlyWritten } : undefined);
    });
    req.end(payload);
  });
}

/**
 * Reads an upstream answer's body as JSON: undefined when it is empty, not JSON, or larger than
 * upstream answers ever are (cut off rather than buffered). Rejects when the response breaks off.
 */
export function readJsonBody(res: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
    });
    res.on('error', reject);
    res.on('end', () => {
      try {
        resolve(size && size <= MAX_RESPONSE_BYTES ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined);
      } catch {
        resolve(undefined);
      }
    });
  });
}
