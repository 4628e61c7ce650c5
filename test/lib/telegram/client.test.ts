import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeTelegram, startFakeTelegram, telegramError } from '../../../fakes/telegram';
import { TelegramClient } from '../../../lib/telegram/client';
import { classifyTelegramError, TelegramApiError, TelegramNetworkError } from '../../../lib/telegram/errors';

const TOKEN = '7012345678:AAHk3-client_test_token_Zx9QpLmN';

describe('TelegramClient', () => {
  let fake: FakeTelegram;
  let client: TelegramClient;
  beforeAll(async () => {
    fake = await startFakeTelegram({ token: TOKEN });
    client = new TelegramClient({ token: TOKEN, apiBase: fake.url, timeoutMs: 300 });
  });
  afterAll(() => fake.close());

  it('posts JSON to /bot<token>/<method> and returns the result', async () => {
    const message = await client.sendMessage(5, 'hi');
    expect(message).toMatchObject({ chat: { id: 5 }, text: 'hi' });
    expect(fake.calls.at(-1)).toMatchObject({ method: 'sendMessage', params: { chat_id: 5, text: 'hi' } });
  });

  it('turns an error envelope into TelegramApiError with retry_after, and never mentions the token', async () => {
    fake.script('sendMessage', telegramError(429, 'Too Many Requests: retry after 7', 7));
    const error = await client.sendMessage(5, 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TelegramApiError);
    expect(error).toMatchObject({ status: 429, retryAfterSeconds: 7, method: 'sendMessage' });
    expect(String((error as Error).message) + String((error as Error).stack)).not.toContain(TOKEN);
  });

  it('reports timeouts and refused connections as TelegramNetworkError without the URL', async () => {
    fake.script('sendMessage', { status: 0, hang: true });
    const timeout = await client.sendMessage(5, 'x').catch((e: unknown) => e);
    expect(timeout).toBeInstanceOf(TelegramNetworkError);
    expect(timeout).toMatchObject({ reason: 'timeout' });
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const refused = await new TelegramClient({ token: TOKEN, apiBase: `http://127.0.0.1:${closedPort}`, timeoutMs: 1000 })
      .sendMessage(1, 'x')
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ name: 'TelegramNetworkError', reason: 'ECONNREFUSED' });
    expect((refused as Error).message).not.toContain(TOKEN);
    expect((refused as Error).message).not.toContain('127.0.0.1');
  });
});

describe('classifyTelegramError', () => {
  it.each([
    [new TelegramApiError('sendMessage', 429, 'Too Many Requests: retry after 3', 3), { action: 'retry_after', seconds: 3 }],
    [new TelegramApiError('sendMessage', 502, 'Bad Gateway'), { action: 'backoff' }],
    [new TelegramNetworkError('sendMessage', 'timeout'), { action: 'backoff', reason: 'network_timeout' }],
    [new TelegramApiError('sendMessage', 403, 'Forbidden: bot was blocked by the user'), { action: 'stop_contact' }],
    [new TelegramApiError('sendMessage', 403, 'Forbidden: user is deactivated'), { action: 'stop_contact' }],
    [new TelegramApiError('sendMessage', 400, 'Bad Request: chat not found'), { action: 'permanent', reason: 'chat_not_found' }],
    [new TelegramApiError('sendMessage', 400, 'Bad Request: message is too long'), { action: 'permanent', reason: 'bad_request_400' }],
  ])('%s → %j', (error, expected) => {
    expect(classifyTelegramError(error)).toMatchObject(expected);
  });
});
