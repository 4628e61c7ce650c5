import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_AWS_ENV, type FakeSsm, startFakeSsm } from '../../../fakes/ssm';
import { Runtime } from '../../../lib/app/runtime';
import { ssmReaderFromEnv } from '../../../lib/settings/ssm';
import { SECRETS } from '../../support/bridge';

/** A TCP listener that only notes when each connection arrived (no TLS: the handshake is not the point). */
async function listener(): Promise<{ url: string; arrivals: number[]; server: Server }> {
  const arrivals: number[] = [];
  const server = createServer((socket) => {
    arrivals.push(performance.now());
    socket.on('error', () => {});
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `https://127.0.0.1:${(server.address() as { port: number }).port}/api/messages`, arrivals, server };
}

/**
 * The order of the waits during INIT (Runtime.warmUp): an upstream whose address is known without
 * SSM is connected to while the SSM read is still running; one whose address only SSM holds, after it.
 */
describe('the warm-up connects to each upstream whose address needs no SSM during the SSM read', () => {
  let ssm: FakeSsm;
  let webim: Awaited<ReturnType<typeof listener>>;
  let telegram: Awaited<ReturnType<typeof listener>>;
  const PREFIX = '/bridge/warm-order';

  beforeAll(async () => {
    ssm = await startFakeSsm();
    webim = await listener();
    telegram = await listener();
    for (const [name, value] of Object.entries({
      TELEGRAM_BOT_TOKEN: SECRETS.botToken,
      TELEGRAM_WEBHOOK_SECRET: SECRETS.webhookSecret,
      WEBIM_ACCESS_TOKEN: SECRETS.webimAccessToken,
      WEBIM_CALLBACK_SECRET: SECRETS.callbackSecret,
    }))
      ssm.parameters.set(`${PREFIX}/${name}`, value);
  });
  afterAll(async () => {
    await ssm.close();
    for (const l of [webim, telegram]) await new Promise((resolve) => l.server.close(resolve));
  });

  /** One warm-up as the webhook function runs it; returns when SSM answered and when each upstream was reached. */
  async function warmUp(env: Record<string, string>) {
    webim.arrivals.length = 0;
    telegram.arrivals.length = 0;
    let ssmAnsweredAt = Number.POSITIVE_INFINITY;
    ssm.script.push({ status: 200, pass: true, delayMs: 300, after: () => (ssmAnsweredAt = performance.now()) });
    const fullEnv = {
      ...FAKE_AWS_ENV,
      AWS_ENDPOINT_URL_SSM: ssm.url,
      SSM_PREFIX: PREFIX,
      TELEGRAM_API_BASE: telegram.url,
      LOG_LEVEL: 'error',
      ...env,
    };
    const runtime = new Runtime({ env: fullEnv, ssm: () => ssmReaderFromEnv(fullEnv), logSink: () => {} });
    const report = await runtime.warmUp(['webim', 'telegram'], 2_000);
    await runtime.close();
    return { report, ssmAnsweredAt, webim: webim.arrivals[0] ?? Number.NaN, telegram: telegram.arrivals[0] ?? Number.NaN };
  }

  it('Webim in the environment: its connection starts before SSM answers, as does Telegram (whose address has a default)', async () => {
    const run = await warmUp({ WEBIM_API_URL: webim.url });
    expect(run.report.settings).not.toMatch(/^failed/); // the settings read itself worked (the database is absent)
    expect(run.webim).toBeLessThan(run.ssmAnsweredAt - 200);
    expect(run.telegram).toBeLessThan(run.ssmAnsweredAt - 200);
    expect(webim.arrivals).toHaveLength(1); // SSM's copy of the same address is not connected to again
  });

  it('Webim only in SSM: its connection starts once SSM has answered', async () => {
    ssm.parameters.set(`${PREFIX}/WEBIM_API_URL`, webim.url);
    try {
      const run = await warmUp({});
      expect(run.webim).toBeGreaterThanOrEqual(run.ssmAnsweredAt);
      expect(run.telegram).toBeLessThan(run.ssmAnsweredAt - 200);
    } finally {
      ssm.parameters.delete(`${PREFIX}/WEBIM_API_URL`);
    }
  });
});
