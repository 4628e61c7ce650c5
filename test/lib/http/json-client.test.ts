import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpTransportError, postJson } from '../../../lib/http/json-client';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
}

describe('postJson', () => {
  it('posts JSON and parses JSON answers of any status', async () => {
    const url = await serve((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        res.writeHead(req.headers.authorization === 'Token t' ? 418 : 500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ echo: JSON.parse(body) }));
      });
    });
    expect(await postJson(url, { a: 1 }, { headers: { authorization: 'Token t' }, timeoutMs: 1000 })).toMatchObject({
      status: 418,
      json: { echo: { a: 1 } },
    });
  });

  it('leaves a non-JSON body undefined', async () => {
    const url = await serve((_req, res) => res.end('<html>bad gateway</html>'));
    expect(await postJson(url, {}, { timeoutMs: 1000 })).toMatchObject({ status: 200, json: undefined });
  });

  it('times out with a token-free reason', async () => {
    const url = await serve(() => {});
    const error = await postJson(url, {}, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpTransportError);
    expect(error).toMatchObject({ reason: 'timeout', message: 'request failed: timeout', mayHaveArrived: true });
  });

  it('tells a request that never left (refused) from one that may have arrived', async () => {
    const url = await serve(() => {});
    const port = new URL(url).port;
    server?.close();
    server = undefined;
    const error = await postJson(`http://127.0.0.1:${port}/x`, {}, { timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: 'ECONNREFUSED', mayHaveArrived: false });
  });

  /** A server that answers the first request on each connection and, on a later one, reads it whole and drops the connection. */
  const forgetfulServer = async () => {
    const perSocket = new WeakMap<Socket, number>();
    const seen = { requests: 0 };
    const url = await serve((req, res) => {
      seen.requests++;
      const n = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, n);
      if (n > 1) return req.socket.destroy(); // read it all, acted on it maybe, then gone
      res.end('{"ok":true}');
    });
    return { url, seen };
  };

  it('a kept-alive socket that drops after the server read the request: not sent again (it may have been acted on)', async () => {
    const { url, seen } = await forgetfulServer();
    expect((await postJson(url, {}, { timeoutMs: 1000 })).json).toEqual({ ok: true });
    const error = await postJson(url, { text: 'once' }, { timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpTransportError);
    expect(error).toMatchObject({ mayHaveArrived: true });
    expect(seen.requests).toBe(2);
  });

  it('an idempotent request is sent once more on a fresh connection in that case', async () => {
    const { url, seen } = await forgetfulServer();
    expect((await postJson(url, {}, { timeoutMs: 1000, idempotent: true })).json).toEqual({ ok: true });
    expect((await postJson(url, {}, { timeoutMs: 1000, idempotent: true })).json).toEqual({ ok: true });
    expect(seen.requests).toBe(3);
  });
});
