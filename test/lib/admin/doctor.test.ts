import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeTelegram } from '../../../fakes/telegram';
import type { FakeWebim } from '../../../fakes/webim';
import { type DoctorReport, runDoctor } from '../../../lib/admin/doctor';
import { Runtime } from '../../../lib/app/runtime';
import { migrate, readMigrations } from '../../../lib/db/migrate';
import { SECRETS, startUpstreams, upstreamEnv } from '../../support/bridge';
import { databaseEngines, type TestDatabase } from '../../support/databases';

/** The business update types the webhook must ask Telegram for (docs/business.md). */
const BUSINESS_UPDATES = ['business_connection', 'business_message', 'edited_business_message', 'deleted_business_messages'];

const API = 'https://abcd1234ef.execute-api.eu-central-1.amazonaws.com';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const check = (report: DoctorReport, name: string) => report.checks.filter((c) => c.name === name);

describe('doctor', () => {
  const [engine] = databaseEngines();
  let database: TestDatabase;
  let telegram: FakeTelegram;
  let webim: FakeWebim;

  const doctor = async (env: Record<string, string> = {}, options: { migrated?: boolean } = {}) => {
    const runtime = new Runtime({
      env: {
        ...upstreamEnv(telegram.url, webim.url),
        HTTP_API_URL: API,
        DATABASE_URL: database.url,
        FILE_LINK_SECRET: 'doctor-file-link-secret-42',
        ...env,
      },
      logSink: () => {},
    });
    const migrations = await readMigrations();
    try {
      if (options.migrated !== false) await migrate(await runtime.databaseOnly(), migrations).catch(() => {});
      return await runDoctor({
        settings: async () => (await runtime.context()).settings,
        database: () => runtime.databaseOnly(),
        migrations,
        now: () => 1_795_340_000_000,
      });
    } finally {
      await runtime.close(); // the embedded database takes one connection at a time
    }
  };

  let upstreams: Awaited<ReturnType<typeof startUpstreams>>;
  beforeAll(async () => {
    upstreams = await startUpstreams(engine!);
    ({ database, telegram, webim } = upstreams);
  });
  afterAll(() => upstreams.close());

  it('all good: every line ✓, with the bot name and the callback URL to give Webim', async () => {
    Object.assign(telegram.webhook, {
      url: `${API}/telegram-webhook`,
      allowed_updates: ['message', 'edited_message', 'my_chat_member', 'callback_query', ...BUSINESS_UPDATES, 'message_reaction'],
      pending_update_count: 0,
    });
    const report = await doctor();
    expect(report.ok).toBe(true);
    expect(report.lines.filter((l) => /^[✗!]/.test(l))).toEqual([]);
    const text = report.lines.join('\n');
    expect(text).toContain('@acme_support_bot');
    expect(text).toContain(`configure in Webim: ${API}/webim-callback`);
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
  });

  it('shows which language each user text comes from: the catalogue, a setting for all, one for a language, or off', async () => {
    const report = await doctor({
      DESK_LANGUAGE: 'en',
      WELCOME_TEXT_EN: 'Hello there',
      CHAT_CLOSED_TEXT: 'Closed, in every language',
      DELAY_NOTICE_TEXT_RU: 'off',
    });
    expect(check(report, 'languages').map((c) => c.detail)).toEqual(['users read their Telegram language, else ru; operators read en']);
    expect(check(report, 'texts').map((c) => c.detail)).toEqual([
      'WELCOME_TEXT: ru catalogue, en WELCOME_TEXT_EN',
      'CHAT_CLOSED_TEXT: ru CHAT_CLOSED_TEXT, en CHAT_CLOSED_TEXT',
      'UNDELIVERED_NOTICE_TEXT: ru catalogue, en catalogue',
      'DELAY_NOTICE_TEXT: ru off (DELAY_NOTICE_TEXT_RU), en catalogue',
    ]);
    expect(report.lines.join('\n')).not.toContain('Hello there');
  });

  it('getMe as Bot API 10.5 answers it (BotFullInfo): a bot that may join groups is a warning; the presses mode is named', async () => {
    const info = { id: 7012345678, is_bot: true, first_name: 'Support', username: 'acme_support_bot', has_topic_sidebar: false };
    telegram.script('getMe', {
      status: 200,
      body: { ok: true, result: { ...info, can_join_groups: true, callback_query_mode: 'inline' } },
    });
    const report = await doctor();
    expect(check(report, 'bot')[0]).toMatchObject({
      status: 'ok',
      detail: 'token valid: @acme_support_bot, button presses in inline mode',
    });
    expect(check(report, 'groups')[0]).toMatchObject({ status: 'warn', hint: expect.stringContaining('/setjoingroups') });
    telegram.script('getMe', { status: 200, body: { ok: true, result: { ...info, can_join_groups: false } } });
    expect(check(await doctor(), 'groups')).toEqual([]);
  });

  it('register-webhook with Telegram unreachable: ✗ with the reason and the same hint as the doctor, no token', async () => {
    const { runAdminAction } = await import('../../../lib/admin/actions');
    const runtime = new Runtime({
      env: { ...upstreamEnv(`http://127.0.0.1:${await closedPort()}`, webim.url), HTTP_API_URL: API, DATABASE_URL: database.url },
      logSink: () => {},
    });
    try {
      const result = await runAdminAction(runtime, { action: 'set' }, await readMigrations());
      expect(result.ok).toBe(false);
      expect(result.lines[0]).toMatch(/^✗ webhook {4}set failed: \w+/);
      expect(result.lines[1]).toContain('Telegram is unreachable from here: check outbound internet');
      expect(result.lines.join('\n')).not.toContain(SECRETS.botToken);
    } finally {
      await runtime.close();
    }
  });

  it('a webhook registered elsewhere → ✗ with the command that fixes it', async () => {
    telegram.webhook.url = 'https://old.example.com/hook';
    const report = await doctor();
    expect(report.ok).toBe(false);
    expect(check(report, 'webhook')[0]).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining(`expected ${API}/telegram-webhook`),
      hint: expect.stringContaining('"action":"set"'),
    });
    telegram.webhook.url = `${API}/telegram-webhook`;
  });

  it('pending updates with a recent delivery error → ✗ naming the error, its age and the likely cause', async () => {
    telegram.script('getWebhookInfo', {
      status: 200,
      body: {
        ok: true,
        result: {
          url: `${API}/telegram-webhook`,
          has_custom_certificate: false,
          pending_update_count: 12,
          allowed_updates: ['message', 'edited_message', 'my_chat_member', 'callback_query', ...BUSINESS_UPDATES, 'message_reaction'],
          last_error_date: 1_795_339_880,
          last_error_message: 'Wrong response from the webhook: 401 Unauthorized',
        },
      },
    });
    const report = await doctor();
    expect(report.ok).toBe(false);
    expect(check(report, 'delivery')[0]).toMatchObject({
      status: 'fail',
      detail: '12 update(s) waiting; last error 2 min ago: Wrong response from the webhook: 401 Unauthorized',
      hint: expect.stringContaining('webhook secret differs'),
    });
  });

  it('an invalid bot token → ✗ pointing at BotFather', async () => {
    const report = await doctor({ TELEGRAM_BOT_TOKEN: '7012345678:AAHk3-this_token_is_revoked_000' });
    expect(report.ok).toBe(false);
    expect(check(report, 'bot')[0]).toMatchObject({ status: 'fail', hint: expect.stringContaining('BotFather') });
    expect(report.lines.join('\n')).not.toContain('this_token_is_revoked');
  });

  it('an unreachable database → ✗ with what to check', async () => {
    const report = await doctor({ DATABASE_URL: `postgres://u:p@127.0.0.1:${await closedPort()}/x` }, { migrated: false });
    expect(report.ok).toBe(false);
    expect(check(report, 'database')[0]).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/^DATABASE_URL \(127\.0\.0\.1:\d+\): nothing accepts connections there \(ECONNREFUSED\)$/),
      hint: expect.stringContaining('security group'),
    });
  });

  it('a missing setting → ✗ naming it, never a value; a secret in rotation → !', async () => {
    const report = await doctor({ WEBIM_ACCESS_TOKEN: '', TELEGRAM_WEBHOOK_SECRET_PREVIOUS: 'old-secret-value_1' });
    expect(report.ok).toBe(false);
    expect(check(report, 'settings')[0]).toMatchObject({ status: 'fail', detail: 'missing WEBIM_ACCESS_TOKEN' });
    const rotating = await doctor({ TELEGRAM_WEBHOOK_SECRET_PREVIOUS: 'old-secret-value_1' });
    expect(check(rotating, 'rotation')[0]).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('TELEGRAM_WEBHOOK_SECRET_PREVIOUS'),
    });
    expect(rotating.lines.join('\n')).not.toContain('old-secret-value_1');
  });

  it('npm run doctor exits non-zero on a ✗ and prints JSON with --json', { timeout: 90_000 }, async () => {
    // Not spawnSync: the embedded database answers from this process, whose event loop must run.
    const run = await new Promise<{ status: number | null; stdout: string }>((resolve, reject) => {
      const child = execFile(
        process.execPath,
        ['--import', 'tsx', 'scripts/admin.ts', 'doctor', '--json'],
        {
          // The embedded database takes one connection at a time (DATABASE_POOL_MAX), as npm start configures it.
          env: {
            PATH: process.env.PATH ?? '',
            HOME: process.env.HOME ?? '',
            DATABASE_URL: database.url,
            DATABASE_POOL_MAX: String(database.poolMax),
            TELEGRAM_API_BASE: telegram.url,
          },
          encoding: 'utf8',
          timeout: 60_000,
        },
        (error, stdout) => (error && error.code === undefined ? reject(error) : resolve({ status: child.exitCode, stdout })),
      );
    });
    expect(run.status).toBe(1);
    const body = JSON.parse(run.stdout) as { ok: boolean; checks: { name: string; status: string }[] };
    expect(body.ok).toBe(false);
    expect(body.checks.find((c) => c.name === 'settings')?.status).toBe('fail');
  });
});

describe('doctor: every bad setting in one run', () => {
  it('reports each invalid setting once, with its rule and an example, and no database hint that does not apply', async () => {
    const { Runtime } = await import('../../../lib/app/runtime');
    const { runAdminAction } = await import('../../../lib/admin/actions');
    const { readMigrations } = await import('../../../lib/db/migrate');
    const runtime = new Runtime({
      env: {
        DATABASE_URL: 'mysql://x',
        PORT: 'abc',
        WEBIM_API_URL: 'notaurl',
        TELEGRAM_BOT_TOKEN: '123:abc',
        TELEGRAM_WEBHOOK_SECRET: 's3cret',
        WEBIM_ACCESS_TOKEN: 'x',
        WEBIM_CALLBACK_SECRET: '12345678',
      },
      logSink: () => {},
    });
    const result = await runAdminAction(runtime, { action: 'doctor' }, await readMigrations());
    const settings = result.checks?.find((c) => c.name === 'settings');
    expect(settings?.status).toBe('fail');
    for (const key of ['DATABASE_URL', 'PORT', 'WEBIM_API_URL', 'TELEGRAM_BOT_TOKEN'])
      expect(settings?.detail.split(key).length, key).toBe(2);
    expect(settings?.detail).toContain('postgres://user:password@host:5432/database');
    expect(settings?.detail).toContain('must be a whole number from 1 to 65535 (e.g. 3000)');
    expect(settings?.detail).toContain('e.g. 123456789:');
    expect(settings?.hint).toContain('.env');
    expect(result.checks?.filter((c) => c.status === 'fail').map((c) => c.name)).toEqual(['settings']);
    expect(result.lines.join('\n')).not.toMatch(/VPC|security group/);
  });

  it('flags the placeholder values of .env.example as placeholders', async () => {
    const { readFileSync } = await import('node:fs');
    const { parseSettings } = await import('../../../lib/settings/schema');
    const example = Object.fromEntries(
      readFileSync('.env.example', 'utf8')
        .split('\n')
        .filter((l) => /^[A-Z_]+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    const error = (() => {
      try {
        parseSettings(example);
      } catch (e) {
        return e as { invalid: { key: string; problem: string }[] };
      }
    })();
    const placeholders = error?.invalid
      .filter((i) => i.problem.includes('placeholder of .env.example'))
      .map((i) => i.key)
      .sort();
    expect(placeholders).toEqual([
      'TELEGRAM_BOT_TOKEN',
      'TELEGRAM_WEBHOOK_SECRET',
      'WEBIM_ACCESS_TOKEN',
      'WEBIM_API_URL',
      'WEBIM_CALLBACK_SECRET',
    ]);
  });
});
