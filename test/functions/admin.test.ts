import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMigrations } from '../../lib/db/migrate';
import { createMigrateHandler } from '../../functions/migrate';
import { createRegisterWebhookHandler } from '../../functions/register-webhook';
import { Runtime } from '../../lib/runtime';
import { databaseEngines, type TestDatabase } from '../support/databases';
import { startFakeTelegram, telegramError, type FakeTelegram } from '../support/fake-telegram';
import { SECRETS } from '../support/bridge';

describe.each(databaseEngines())('one-shot functions on $name', (engine) => {
  let database: TestDatabase;
  let telegram: FakeTelegram;
  let runtime: Runtime;
  const logs: string[] = [];

  beforeAll(async () => {
    database = await engine.create();
    telegram = await startFakeTelegram({ token: SECRETS.botToken });
    runtime = new Runtime({
      env: {
        TELEGRAM_BOT_TOKEN: SECRETS.botToken,
        TELEGRAM_WEBHOOK_SECRET: SECRETS.webhookSecret,
        TELEGRAM_API_BASE: telegram.url,
        WEBIM_API_URL: 'https://demo.webim.ru/api/custom-channel',
        WEBIM_ACCESS_TOKEN: SECRETS.webimAccessToken,
        WEBIM_CALLBACK_SECRET: SECRETS.callbackSecret,
        PUBLIC_BASE_URL: 'https://abcd1234ef.execute-api.eu-central-1.amazonaws.com/',
        DATABASE_URL: database.url,
        TELEGRAM_MAX_CONNECTIONS: '10',
      },
      logSink: (l) => logs.push(l),
    });
  });
  afterAll(async () => {
    await runtime.close();
    await telegram.close();
    await database.drop();
  });

  it('migrate applies the migrations once and reports them', async () => {
    const migrateHandler = createMigrateHandler(runtime);
    const known = (await readMigrations()).map((m) => m.version);
    expect(known.slice(0, 2)).toEqual(['001_initial', '002_claim_scope_and_chat_order']);
    expect(await migrateHandler()).toEqual({ applied: known, known });
    expect(await migrateHandler()).toEqual({ applied: [], known });
  });

  it('registerWebhook sets the webhook with the secret token and explicit options, then reports getWebhookInfo', async () => {
    const report = await createRegisterWebhookHandler(runtime)({});
    const set = telegram.calls.find((c) => c.method === 'setWebhook');
    expect(set?.params).toEqual({
      url: 'https://abcd1234ef.execute-api.eu-central-1.amazonaws.com/telegram-webhook',
      secret_token: SECRETS.webhookSecret,
      allowed_updates: ['message', 'edited_message', 'my_chat_member'],
      max_connections: 10,
      drop_pending_updates: false,
    });
    expect(report).toEqual({
      action: 'set',
      url: 'https://abcd1234ef.execute-api.eu-central-1.amazonaws.com/telegram-webhook',
      pending_update_count: 0,
      max_connections: 10,
      allowed_updates: ['message', 'edited_message', 'my_chat_member'],
      ok: true,
    });
    expect(logs.join('\n')).not.toContain(SECRETS.webhookSecret);
    expect(logs.join('\n')).not.toContain(SECRETS.botToken);
  });

  it('info reports delivery errors Telegram saw; delete removes the webhook', async () => {
    telegram.script('getWebhookInfo', {
      status: 200,
      body: { ok: true, result: { url: 'https://abcd1234ef.execute-api.eu-central-1.amazonaws.com/telegram-webhook', has_custom_certificate: false, pending_update_count: 17, last_error_date: 1795338000, last_error_message: 'Wrong response from the webhook: 401 Unauthorized' } },
    });
    const handler = createRegisterWebhookHandler(runtime);
    expect(await handler({ action: 'info' })).toMatchObject({ ok: false, pending_update_count: 17, last_error_date: '2026-11-22T09:00:00.000Z', last_error_message: 'Wrong response from the webhook: 401 Unauthorized' });
    expect(await handler({ action: 'delete' })).toMatchObject({ action: 'delete', url: '', ok: true });
    expect(telegram.calls.at(-2)).toMatchObject({ method: 'deleteWebhook', params: { drop_pending_updates: false } });
  });

  it('fails with a token-free message when Telegram refuses', async () => {
    telegram.script('setWebhook', telegramError(400, 'Bad Request: bad webhook: HTTPS url must be provided for webhook'));
    const error = (await createRegisterWebhookHandler(runtime)({ action: 'set' }).catch((e: unknown) => e)) as Error;
    expect(error?.message).toBe('Telegram setWebhook failed: 400 Bad Request: bad webhook: HTTPS url must be provided for webhook');
    await expect(createRegisterWebhookHandler(runtime)({ action: 'nuke' as never })).rejects.toThrow(/unknown action/);
  });
});
