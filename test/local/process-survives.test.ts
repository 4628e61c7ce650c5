import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcpProxy, type TcpProxy, throughProxy } from '../../fakes/tcp-proxy';
import { type FakeTelegram, startFakeTelegram } from '../../fakes/telegram';
import { type FakeWebim, startFakeWebim } from '../../fakes/webim';
import { type EmbeddedDatabase, startEmbeddedDatabase } from '../../local/embedded-db';
import { SECRETS, textUpdate, upstreamEnv } from '../support/bridge';
import { startLocalServer } from '../support/local-server';

/**
 * `npm start` as its own process, its database behind a proxy that resets every connection on
 * demand (a failover, a proxy restart): the process keeps serving — 503 while the database is
 * gone, the message relayed once it is back — and never exits.
 */
describe('the local server outlives reset database sockets', () => {
  let database: EmbeddedDatabase;
  let proxy: TcpProxy;
  let telegram: FakeTelegram;
  let webim: FakeWebim;
  let server: ChildProcess;
  let url: string;
  let stderr: string[];

  beforeAll(async () => {
    database = await startEmbeddedDatabase();
    const target = new URL(database.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
    telegram = await startFakeTelegram({ token: SECRETS.botToken });
    webim = await startFakeWebim({ accessToken: SECRETS.webimAccessToken });
    ({
      process: server,
      url,
      stderr,
    } = await startLocalServer({
      env: {
        PATH: process.env.PATH,
        ...upstreamEnv(telegram.url, webim.url),
        DATABASE_URL: throughProxy(database.url, proxy),
        DATABASE_POOL_MAX: '1',
        LOG_LEVEL: 'error',
      },
    }));
  }, 60_000);
  afterAll(async () => {
    server.kill('SIGTERM');
    proxy.restore();
    await proxy.close();
    await telegram.close();
    await webim.close();
    await database.stop();
  });

  const post = (updateId: number, text: string) =>
    fetch(`${url}/telegram-webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRETS.webhookSecret },
      body: JSON.stringify(textUpdate(updateId, 8_600_100, text)),
    }).then((r) => r.status);

  it('answers through ten connection resets, then relays each message once', async () => {
    expect(await post(8_600_001, 'before')).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const pending = post(8_600_010 + i, `during ${i}`);
      proxy.cut();
      statuses.push(await pending);
    }
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    // Telegram redelivers what got 503; each message reaches Webim once.
    for (let i = 0; i < 10; i++) if (statuses[i] !== 200) expect(await post(8_600_010 + i, `during ${i}`)).toBe(200);
    expect(server.exitCode).toBeNull();
    const texts = webim.received.map((m) => m.message.text);
    for (let i = 0; i < 10; i++) expect(texts.filter((t) => t === `during ${i}`)).toHaveLength(1);
    expect(stderr.join('\n')).not.toMatch(/uncaught|ECONNRESET/);
  }, 90_000);
});
