import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeTelegram, startFakeTelegram } from '../../fakes/telegram';
import { type FakeWebim, startFakeWebim } from '../../fakes/webim';
import { readMigrations } from '../../lib/db/migrate';
import { type LocalEnvironment, prepareLocalEnvironment } from '../../local/bootstrap';
import { type LocalServer, startLocalServer } from '../../local/server';
import { SECRETS, upstreamEnv, visitorOf } from '../support/bridge';
import { fixture } from '../support/events';

/** `npm start`'s pieces over real HTTP: embedded database, migrations, the local API Gateway. */
describe('local server (npm start)', () => {
  let local: LocalEnvironment;
  let server: LocalServer;
  let telegram: FakeTelegram;
  let webim: FakeWebim;

  beforeAll(async () => {
    telegram = await startFakeTelegram({ token: SECRETS.botToken });
    webim = await startFakeWebim({ accessToken: SECRETS.webimAccessToken });
    local = await prepareLocalEnvironment({
      dataDir: null,
      env: { ...upstreamEnv(telegram.url, webim.url), LOG_LEVEL: 'error' },
    });
    server = await startLocalServer(local.runtime, { port: 0 });
  });
  afterAll(async () => {
    await server.close();
    await local.stop();
    await telegram.close();
    await webim.close();
  });

  const post = (path: string, body: string, headers: Record<string, string>) =>
    fetch(`${server.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

  it('applied the migrations to a fresh embedded database', async () => {
    expect(local.embedded).toBeDefined();
    expect(local.applied).toEqual((await readMigrations()).map((m) => m.version));
  });

  it('relays both ways over real HTTP, with the secret header in any case', async () => {
    const res = await post('/telegram-webhook', JSON.stringify(fixture('telegram/text_message.json')), {
      'X-Telegram-Bot-Api-Secret-Token': SECRETS.webhookSecret,
    });
    expect(res.status).toBe(200);
    expect(webim.received).toHaveLength(1);
    const visitorId = await visitorOf(await local.runtime.databaseOnly(), 287164003);
    const back = await post(
      `/webim-callback/${SECRETS.callbackSecret}`,
      JSON.stringify({ ...fixture('webim/operator_message.json'), visitor_id: visitorId }),
      {},
    );
    expect(back.status).toBe(200);
    expect(await back.json()).toEqual({ result: 'ok' });
    expect(telegram.sentTo(287164003)).toEqual(['Hi! How can I help?']);
  });

  it('answers 401, 404 and 503 like the deployed API', async () => {
    expect((await post('/telegram-webhook', '{}', {})).status).toBe(401);
    expect((await post('/nope', '{}', {})).status).toBe(404);
    expect((await fetch(`${server.url}/telegram-webhook`)).status).toBe(404);
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
  });

  it('answers a malformed percent-encoded path secret with 401, not 500', async () => {
    expect((await post('/webim-callback/%E0%A4%A', '{}', {})).status).toBe(401);
  });

  it('after a 413 the same keep-alive connection still serves the next request', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const send = (body: Buffer) =>
      new Promise<number>((resolve, reject) => {
        const req = http.request(
          `${server.url}/telegram-webhook`,
          { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    expect(await send(Buffer.alloc(11 * 1024 * 1024, 0x20))).toBe(413);
    expect(await send(Buffer.from('{}'))).toBe(401);
    expect(await send(Buffer.from('{}'))).toBe(401);
    agent.destroy();
  });

  it('health is 503 naming the missing settings when the bridge cannot relay', async () => {
    const bare = await prepareLocalEnvironment({ dataDir: null, env: { TELEGRAM_BOT_TOKEN: 'not-a-token' }, logSink: () => {} });
    const other = await startLocalServer(bare.runtime, { port: 0 });
    try {
      const res = await fetch(`${other.url}/health`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({
        status: 'not_configured',
        missing: ['TELEGRAM_WEBHOOK_SECRET', 'WEBIM_API_URL', 'WEBIM_ACCESS_TOKEN', 'WEBIM_CALLBACK_SECRET'],
        invalid: ['TELEGRAM_BOT_TOKEN'],
      });
      const update = await fetch(`${other.url}/telegram-webhook`, {
        method: 'POST',
        body: '{}',
        headers: { 'x-telegram-bot-api-secret-token': 'x' },
      });
      expect(update.status).toBe(503);
    } finally {
      await other.close();
      await bare.stop();
    }
  });
});
