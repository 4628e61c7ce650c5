import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAMBDA_ESBUILD, LAMBDA_OUTPUT_EXTENSION } from '../../bench/lambda-esbuild';
import { FAKE_AWS_ENV, type FakeSsm, startFakeSsm } from '../../fakes/ssm';
import { type FakeTelegram, startFakeTelegram } from '../../fakes/telegram';
import { type FakeWebim, startFakeWebim } from '../../fakes/webim';
import { Database } from '../../lib/db/database';
import { migrate, readMigrations } from '../../lib/db/migrate';
import { startEmbeddedDatabase } from '../../local/embedded-db';
import { SECRETS, textUpdate, upstreamEnv } from '../support/bridge';
import { httpApiEvent } from '../support/events';

/**
 * The webhook function as Lambda runs it: the ES-module bundle, imported in a fresh Node process
 * with AWS_LAMBDA_FUNCTION_NAME set, so its top level (INIT) awaits the warm-up. Every setting
 * comes from SSM, as on a deployed stage. The database sits behind a gate that can refuse
 * connections (reset them) while INIT runs.
 */
describe('the cold path: INIT warms up and never fails', () => {
  let dir: string;
  let bundle: string;
  let ssm: FakeSsm;
  let telegram: FakeTelegram;
  let webim: FakeWebim;
  let database: Awaited<ReturnType<typeof startEmbeddedDatabase>>;
  let gate: { server: Server; port: number; refuse: boolean; sockets: Set<Socket> };
  let databaseUrl: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bridge-init-'));
    bundle = path.join(dir, 'functions', `telegram-webhook${LAMBDA_OUTPUT_EXTENSION}`);
    await build({ entryPoints: ['functions/telegram-webhook.ts'], outfile: bundle, ...LAMBDA_ESBUILD, logLevel: 'error' });
    writeFileSync(path.join(dir, 'package.json'), '{"type":"commonjs"}\n');
    writeFileSync(path.join(dir, 'child.mjs'), CHILD);
    database = await startEmbeddedDatabase();
    const setup = new Database({ url: database.url, max: 1 });
    await migrate(setup, await readMigrations());
    await setup.close();
    const target = new URL(database.url);
    gate = { server: createServer(), port: 0, refuse: false, sockets: new Set() };
    gate.server.on('connection', (client) => {
      if (gate.refuse) return client.resetAndDestroy();
      const upstream = netConnect(Number(target.port), target.hostname);
      for (const s of [client, upstream]) gate.sockets.add(s);
      client.pipe(upstream).pipe(client);
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
    });
    await new Promise<void>((resolve) => gate.server.listen(0, '127.0.0.1', resolve));
    gate.port = (gate.server.address() as { port: number }).port;
    ssm = await startFakeSsm();
    telegram = await startFakeTelegram({ token: SECRETS.botToken });
    webim = await startFakeWebim({ accessToken: SECRETS.webimAccessToken });
    const dbUrl = new URL(database.url);
    dbUrl.port = String(gate.port);
    databaseUrl = dbUrl.toString();
    for (const [name, value] of Object.entries({ ...upstreamEnv(telegram.url, webim.url), DATABASE_URL: databaseUrl }))
      ssm.parameters.set(`/bridge/init/${name}`, value);
  }, 60_000);

  afterAll(async () => {
    for (const s of gate?.sockets ?? []) s.destroy();
    await new Promise((resolve) => gate?.server.close(resolve));
    await ssm?.close();
    await telegram?.close();
    await webim?.close();
    await database?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts a container: INIT runs (awaited), then `beforeRequest`, then one webhook request. */
  async function coldContainer(updateId: number, beforeRequest: () => void = () => {}) {
    const child: ChildProcess = fork(path.join(dir, 'child.mjs'), [pathToFileURL(bundle).href], {
      env: {
        PATH: process.env.PATH,
        ...FAKE_AWS_ENV,
        AWS_ENDPOINT_URL_SSM: ssm.url,
        SSM_PREFIX: '/bridge/init',
        AWS_LAMBDA_FUNCTION_NAME: 'test-telegram-webhook',
        LOG_LEVEL: 'info',
        TELEGRAM_TIMEOUT_MS: '2000',
        WEBIM_TIMEOUT_MS: '2000',
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const messages: Record<string, unknown>[] = [];
    const done = new Promise<void>((resolve, reject) => {
      child.on('message', (m: Record<string, unknown>) => {
        messages.push(m);
        if (m.initialized) {
          beforeRequest();
          const event = httpApiEvent({
            routeKey: 'POST /telegram-webhook',
            path: '/telegram-webhook',
            headers: { 'x-telegram-bot-api-secret-token': SECRETS.webhookSecret },
            body: textUpdate(updateId, 77_001, 'first message of a cold container'),
          });
          child.send({ event });
        }
        if (m.answered) resolve();
      });
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`child exited ${code}: ${stderr}`))));
    });
    await done;
    await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
    const logs = stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    return { stdout, logs, messages, answer: messages.find((m) => m.answered)?.answered as { statusCode: number } | undefined };
  }

  it('warms up during INIT: the first request needs no SSM call and answers as a warm one', async () => {
    const callsBefore = ssm.calls.length;
    const { logs, answer } = await coldContainer(7_700_001, () => expect(ssm.calls.length - callsBefore).toBe(1));
    expect(answer?.statusCode).toBe(200);
    const warmUp = logs.find((l) => l.event === 'init_warm_up');
    expect(warmUp).toMatchObject({ settings: 'ok', database: 'ok' });
    expect(ssm.calls.length - callsBefore).toBe(1);
    expect(webim.received.at(-1)?.message.text).toBe('first message of a cold container');
  }, 30_000);

  it('an SSM outage during INIT does not fail INIT; the first request reads SSM itself and answers 200', async () => {
    // SSM answers 500 to every attempt made during INIT, then recovers.
    ssm.script.push(...Array.from({ length: 3 }, () => ({ status: 500, body: { __type: 'InternalServerError' } })));
    const { logs, answer, messages } = await coldContainer(7_700_002);
    expect(messages.some((m) => m.initialized)).toBe(true);
    expect(logs.find((l) => l.event === 'init_warm_up')).toMatchObject({ settings: expect.stringMatching(/^failed:/) });
    expect(answer?.statusCode).toBe(200);
    expect(webim.received.at(-1)?.message.text).toBe('first message of a cold container');
  }, 30_000);

  it('a database that refuses connections during INIT does not fail INIT; the first request connects itself and answers 200', async () => {
    gate.refuse = true;
    const { logs, answer } = await coldContainer(7_700_003, () => {
      gate.refuse = false;
    });
    expect(logs.find((l) => l.event === 'init_warm_up')).toMatchObject({ settings: 'base', database: expect.stringMatching(/^failed:/) });
    expect(answer?.statusCode).toBe(200);
    expect(webim.received.at(-1)?.message.text).toBe('first message of a cold container');
  }, 30_000);

  it('logs nothing secret during INIT or the first request, whatever fails', async () => {
    ssm.script.push(...Array.from({ length: 3 }, () => ({ status: 500, body: { __type: 'InternalServerError' } })));
    const failedSsm = await coldContainer(7_700_004);
    gate.refuse = true;
    const failedDb = await coldContainer(7_700_005, () => {
      gate.refuse = false;
    });
    const fine = await coldContainer(7_700_006);
    const secrets = [
      SECRETS.botToken,
      SECRETS.webhookSecret,
      SECRETS.webimAccessToken,
      SECRETS.callbackSecret,
      databaseUrl,
      FAKE_AWS_ENV.AWS_SECRET_ACCESS_KEY,
      FAKE_AWS_ENV.AWS_SESSION_TOKEN,
    ];
    for (const run of [failedSsm, failedDb, fine]) {
      expect(run.logs.some((l) => l.event === 'init_warm_up')).toBe(true);
      for (const secret of secrets) expect(run.stdout).not.toContain(secret);
      expect(run.stdout).not.toContain('first message of a cold container');
    }
  }, 60_000);
});

/** The container: imports the bundle (INIT), reports, waits for one event, answers it, exits. */
const CHILD = `
const { handler } = await import(process.argv[2]);
process.send({ initialized: true });
process.on('message', async ({ event }) => {
  const answer = await handler(event, { getRemainingTimeInMillis: () => 20000 });
  process.send({ answered: { statusCode: answer.statusCode } }, () => process.exit(0));
});
`;
