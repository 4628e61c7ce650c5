import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { HttpEvent } from '../../lib/http/api-gateway';
import { readRequestBody, toHttpApiEvent } from '../../local/http-adapter';
import { fixture } from '../support/events';

/** Captures the event the adapter builds for one real HTTP request. */
async function eventFor(init: RequestInit & { path: string }): Promise<HttpEvent> {
  let event: HttpEvent | undefined;
  const server = createServer(async (req: IncomingMessage, res) => {
    event = toHttpApiEvent(req, (await readRequestBody(req)) as Buffer, {
      routeKey: 'POST /webim-callback/{secret}',
      pathParameters: { secret: 's' },
    });
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}${init.path}`, init);
  await new Promise<void>((r) => server.close(() => r()));
  return event as HttpEvent;
}

describe('local HTTP API v2 events', () => {
  it('has the shape of a captured API Gateway event', async () => {
    const event = await eventFor({
      path: '/webim-callback/s?x=1&x=2',
      method: 'POST',
      body: '{"a":1}',
      headers: { 'Content-Type': 'application/json', 'X-Telegram-Bot-Api-Secret-Token': 'abc', Cookie: 'a=1; b=2' },
    });
    const captured = fixture<HttpEvent>('apigw/http-api-v2-event.json');
    expect(
      Object.keys(event)
        .filter((k) => k in captured)
        .sort(),
    ).toEqual(Object.keys(captured).sort());
    expect(Object.keys(event.requestContext).sort()).toEqual(Object.keys(captured.requestContext).sort());
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /webim-callback/{secret}',
      rawPath: '/webim-callback/s',
      rawQueryString: 'x=1&x=2',
      queryStringParameters: { x: '1,2' },
      pathParameters: { secret: 's' },
      cookies: ['a=1', 'b=2'],
      body: '{"a":1}',
      isBase64Encoded: false,
    });
    expect(event.headers['x-telegram-bot-api-secret-token']).toBe('abc');
    expect(Object.keys(event.headers).every((k) => k === k.toLowerCase())).toBe(true);
  });

  it('base64-encodes non-text bodies', async () => {
    const event = await eventFor({
      path: '/x',
      method: 'POST',
      body: new Uint8Array([0, 1, 2, 255]),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body ?? '', 'base64')).toEqual(Buffer.from([0, 1, 2, 255]));
  });
});
