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

  it('resends once on a fresh connection when a kept-alive socket turns out dead', async () => {
    const perSocket = new WeakMap<Socket, number>();
    let requests = 0;
    const url = await serve((req, res) => {
      requests++;
      const n = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, n);
      if (n > 1) return req.socket.destroy(); // the server forgot this connection
      res.end('{"ok":true}');
    });
    expect((await postJson(url, {}, { timeoutMs: 1000 })).json).toEqual({ ok: true });
    expect((await postJson(url, {}, { timeoutMs: 1000 })).json).toEqual({ ok: true });
    expect(requests).toBe(3);
  });
});
