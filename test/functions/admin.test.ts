import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeTelegram, startFakeTelegram, telegramError } from '../../fakes/telegram';
import { type FakeWebim, startFakeWebim } from '../../fakes/webim';
import { createAdminHandler } from '../../functions/admin';
import { createHousekeepingHandler } from '../../functions/housekeeping';
import { createMigrateHandler } from '../../functions/migrate';
import type { AdminResult } from '../../lib/admin/actions';
import { Runtime } from '../../lib/app/runtime';
import { readMigrations } from '../../lib/db/migrate';
import { wordsOf } from '../../lib/i18n/catalogue';
import { SECRETS } from '../support/bridge';
import { databaseEngines, type TestDatabase } from '../support/databases';

/** The business update types the webhook must ask Telegram for (docs/business.md). */
const BUSINESS_UPDATES = ['business_connection', 'business_message', 'edited_business_message', 'deleted_business_messages'];

const API = 'https://abcd1234ef.execute-api.eu-central-1.amazonaws.com';

describe.each(databaseEngines())('admin, migrate and housekeeping functions on $name', (engine) => {
  let database: TestDatabase;
  let telegram: FakeTelegram;
  let webim: FakeWebim;
  let runtime: Runtime;
  const logs: string[] = [];
  const admin = () => createAdminHandler(runtime);

  beforeAll(async () => {
    database = await engine.create();
    telegram = await startFakeTelegram({ token: SECRETS.botToken });
    webim = await startFakeWebim({ accessToken: SECRETS.webimAccessToken });
    runtime = new Runtime({
      env: {
        TELEGRAM_BOT_TOKEN: SECRETS.botToken,
        TELEGRAM_WEBHOOK_SECRET: SECRETS.webhookSecret,
        TELEGRAM_API_BASE: telegram.url,
        WEBIM_API_URL: webim.url,
        WEBIM_ACCESS_TOKEN: SECRETS.webimAccessToken,
        WEBIM_CALLBACK_SECRET: SECRETS.callbackSecret,
        HTTP_API_URL: `${API}/`,
        DATABASE_URL: database.url,
        TELEGRAM_MAX_CONNECTIONS: '40',
        WEBHOOK_RESERVED_CONCURRENCY: '19',
      },
      logSink: (l) => logs.push(l),
    });
  });
  afterAll(async () => {
    await runtime.close();
    await telegram.close();
    await webim.close();
    await database.drop();
  });
  beforeEach(() => {
    telegram.calls.length = 0;
  });

  it('migrate applies the migrations once and reports them', async () => {
    const migrateHandler = createMigrateHandler(runtime);
    const known = (await readMigrations()).map((m) => m.version);
    expect(known.slice(0, 2)).toEqual(['001_initial', '002_claim_scope_and_chat_order']);
    expect(await migrateHandler()).toEqual({ applied: known, known });
    expect(await migrateHandler()).toEqual({ applied: [], known });
  });

  it("set registers the webhook at the API's own URL with the secret, capped to the reserved concurrency", async () => {
    const result = (await admin()({ action: 'set' })) as AdminResult;
    const set = telegram.calls.find((c) => c.method === 'setWebhook');
    expect(set?.params).toEqual({
      url: `${API}/telegram-webhook`,
      secret_token: SECRETS.webhookSecret,
      allowed_updates: ['message', 'edited_message', 'my_chat_member', 'callback_query', ...BUSINESS_UPDATES, 'message_reaction'],
      max_connections: 19,
      drop_pending_updates: false,
    });
    expect(result).toMatchObject({
      action: 'set',
      ok: true,
      webhook: { url: `${API}/telegram-webhook`, pending_update_count: 0, max_connections: 19 },
    });
    expect(logs.join('\n')).not.toContain(SECRETS.webhookSecret);
    expect(logs.join('\n')).not.toContain(SECRETS.botToken);
  });

  it('set also sets the command menu in each language (language_code scoped) and for everyone else in DEFAULT_LANGUAGE', async () => {
    const result = (await admin()({ action: 'set' })) as AdminResult;
    expect(Object.fromEntries(telegram.commands)).toEqual({
      ru: [{ command: 'start', description: wordsOf('ru').commands.start }],
      en: [{ command: 'start', description: wordsOf('en').commands.start }],
      '': [{ command: 'start', description: wordsOf('ru').commands.start }],
    });
    expect(result.lines).toContain('✓ commands   menu set: ru, en, default (ru)');
  });

  it('info fails the invocation (non-zero exit) when Telegram reports a delivery error; delete removes the webhook', async () => {
    telegram.script('getWebhookInfo', {
      status: 200,
      body: {
        ok: true,
        result: {
          url: `${API}/telegram-webhook`,
          has_custom_certificate: false,
          pending_update_count: 17,
          last_error_date: 1795338000,
          last_error_message: 'Wrong response from the webhook: 401 Unauthorized',
        },
      },
    });
    const error = (await admin()({ action: 'info' }).catch((e: unknown) => e)) as Error;
    expect(error.name).toBe('AdminActionFailed');
    expect(error.message).toContain('17 pending');
    expect(error.message).toContain('Wrong response from the webhook: 401 Unauthorized');
    expect(await admin()({ action: 'delete' })).toMatchObject({ action: 'delete', ok: true, webhook: { url: '' } });
    expect(telegram.calls.at(-2)).toMatchObject({ method: 'deleteWebhook', params: { drop_pending_updates: false } });
  });

  it('fails with a token-free message when Telegram refuses, and on an unknown action', async () => {
    telegram.script('setWebhook', telegramError(400, 'Bad Request: bad webhook: HTTPS url must be provided for webhook'));
    const error = (await admin()({ action: 'set' }).catch((e: unknown) => e)) as Error;
    expect(error.message).toBe('Telegram setWebhook failed: 400 Bad Request: bad webhook: HTTPS url must be provided for webhook');
    expect(error.message).not.toContain(SECRETS.botToken);
    await expect(admin()({ action: 'nuke' })).rejects.toThrow(/unknown action "nuke"/);
  });

  it('setup (what a deploy runs) migrates, registers and prints the doctor report; running it again is safe', async () => {
    for (let run = 0; run < 2; run++) {
      const result = (await admin()({ action: 'setup' })) as AdminResult;
      expect(result.ok).toBe(true);
      expect(result.lines.join('\n')).toMatch(/✓ webhook\s+registered https:\/\/abcd1234ef/);
      expect(result.lines).toContain('doctor:');
      expect(result.lines.at(-1)).toMatch(/^all good/);
    }
    expect(telegram.calls.filter((c) => c.method === 'setWebhook')).toHaveLength(2);
  });

  describe('a redeploy onto a live stage (Telegram never clears last_error_*)', () => {
    const infoWithError = (ageSeconds: number, pending: number) => ({
      status: 200,
      body: {
        ok: true,
        result: {
          url: `${API}/telegram-webhook`,
          has_custom_certificate: false,
          pending_update_count: pending,
          allowed_updates: ['message', 'edited_message', 'my_chat_member', 'callback_query', ...BUSINESS_UPDATES, 'message_reaction'],
          max_connections: 19,
          last_error_date: Math.floor(Date.now() / 1000) - ageSeconds,
          last_error_message: 'Wrong response from the webhook: 503 Service Unavailable',
        },
      },
    });

    it('an error 72 h old: setup succeeds, the error shown as a warning by setup and the doctor alike', async () => {
      telegram.script('getWebhookInfo', infoWithError(72 * 3600, 0), infoWithError(72 * 3600, 0));
      const result = (await admin()({ action: 'setup' })) as AdminResult;
      expect(result.ok).toBe(true);
      expect(result.webhook?.checks?.find((c) => c.name === 'delivery')).toMatchObject({ status: 'warn' });
      expect(result.checks?.find((c) => c.name === 'delivery')).toMatchObject({ status: 'warn' });
      expect(result.lines.at(-1)).toMatch(/^all good \(\d warning/);
    });

    it('an error 2 min old with updates waiting: setup fails and the doctor says ✗', async () => {
      telegram.script('getWebhookInfo', infoWithError(120, 5), infoWithError(120, 5));
      const error = (await admin()({ action: 'setup' }).catch((e: unknown) => e)) as Error;
      expect(error.name).toBe('AdminActionFailed');
      expect(error.message).toMatch(/✗ delivery\s+5 update\(s\) waiting; last error 2 min ago/);
    });

    it('an error 2 min old but nothing waiting (already redelivered): a warning, not a failure', async () => {
      telegram.script('getWebhookInfo', infoWithError(120, 0), infoWithError(120, 0));
      expect(((await admin()({ action: 'setup' })) as AdminResult).ok).toBe(true);
    });
  });

  it('housekeeping purges delivery records past their retention', async () => {
    const db = await runtime.databaseOnly();
    await db.sql`INSERT INTO delivery_claims (source, key, state, created_at) VALUES ('telegram_update', 'ancient', 'done', now() - interval '49 hours')`;
    expect(await createHousekeepingHandler(runtime)()).toEqual({ purged: 1, drained: true, statsPurged: 0 });
  });
});
