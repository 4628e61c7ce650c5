import type { IncomingMessage, ServerResponse } from 'node:http';
import { startLoopbackServer } from './loopback-server';

export interface ScriptedResponse {
  status: number;
  body?: unknown;
  /** A body sent as it is, not as JSON (e.g. a proxy's HTML page, a file's bytes, or nothing). */
  rawBody?: string | Buffer;
  /** Content-Type for a raw body (default text/html). */
  contentType?: string;
  /** Never answer (to exercise client timeouts). */
  hang?: boolean;
  /** Answer only after this long (a slow upstream). */
  delayMs?: number;
  /** Runs right after the answer is sent (e.g. to break the database at that very moment). */
  after?: () => void;
  /** For scripted answers: serve the request normally, only with this delay / hook. */
  pass?: boolean;
  /** Extra response headers (e.g. Location of a redirect). */
  headers?: Record<string, string>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
  /** The body's bytes as received (multipart uploads). */
  raw: Buffer;
}

/** A tiny loopback HTTP server for fakes: records requests, answers from a script or a default. */
export async function startHttpFake(
  respond: (req: RecordedRequest) => ScriptedResponse | Promise<ScriptedResponse>,
): Promise<{ url: string; requests: RecordedRequest[]; close(): Promise<void> }> {
  const requests: RecordedRequest[] = [];
  const server = await startLoopbackServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const bytes = Buffer.concat(chunks);
    const raw = bytes.toString('utf8');
    let body: unknown = raw;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      // keep raw text
    }
    const recorded = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body, raw: bytes };
    requests.push(recorded);
    const answer = await respond(recorded);
    if (answer.hang) return; // the client's timeout must fire
    if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
    if (res.destroyed) return;
    const payload = answer.rawBody ?? (answer.body === undefined ? '' : JSON.stringify(answer.body));
    res.writeHead(answer.status, {
      'content-type': answer.rawBody !== undefined ? (answer.contentType ?? 'text/html') : 'application/json',
      'content-length': Buffer.byteLength(payload),
      ...answer.headers,
    });
    res.end(payload);
    answer.after?.();
  });
  return { url: server.url, requests, close: server.close };
}
