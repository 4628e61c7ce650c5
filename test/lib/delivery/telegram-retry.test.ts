import { describe, expect, it } from 'vitest';
import { deadlineIn } from '../../../lib/delivery/deadline';
import { DeliveryFailure } from '../../../lib/delivery/failure';
import { withTelegramRetries, type RetryPolicy } from '../../../lib/delivery/telegram-retry';
import { TelegramApiError, TelegramNetworkError } from '../../../lib/telegram/errors';

const waits: number[] = [];
const policy: RetryPolicy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 400, reserveMs: 1000, sleep: async (ms) => void waits.push(ms) };

const failing = (...errors: Error[]) => {
  let calls = 0;
  const fn = async () => {
    const e = errors[calls++];
    if (e) throw e;
    return 'ok';
  };
  return { fn, calls: () => calls };
};

describe('withTelegramRetries', () => {
  it('waits retry_after when it fits the deadline', async () => {
    waits.length = 0;
    const f = failing(new TelegramApiError('sendMessage', 429, 'Too Many Requests', 2));
    expect(await withTelegramRetries(f.fn, deadlineIn(10_000), policy)).toBe('ok');
    expect(waits).toEqual([2000]);
  });

  it('gives up as transient (carrying retry_after) when the wait does not fit', async () => {
    const f = failing(new TelegramApiError('sendMessage', 429, 'Too Many Requests', 30));
    const error = await withTelegramRetries(f.fn, deadlineIn(10_000), policy).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryFailure);
    expect(error).toMatchObject({ kind: 'transient', retryAfterSeconds: 30, reason: 'rate_limited' });
    expect(f.calls()).toBe(1);
  });

  it('backs off on 5xx and network errors, a bounded number of times', async () => {
    waits.length = 0;
    const f = failing(...Array.from({ length: 10 }, () => new TelegramNetworkError('sendMessage', 'ECONNRESET')));
    const error = await withTelegramRetries(f.fn, deadlineIn(60_000), policy).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'transient', reason: 'network_ECONNRESET' });
    expect(f.calls()).toBe(4);
    expect(waits).toHaveLength(3);
    expect(waits.every((w, i) => w >= 0.75 * Math.min(400, 100 * 2 ** i) && w <= 1.25 * Math.min(400, 100 * 2 ** i))).toBe(true);
  });

  it('stops at once for blocked users and permanent errors', async () => {
    const blocked = failing(new TelegramApiError('sendMessage', 403, 'Forbidden: bot was blocked by the user'));
    await expect(withTelegramRetries(blocked.fn, deadlineIn(10_000), policy)).rejects.toMatchObject({ kind: 'blocked' });
    const bad = failing(new TelegramApiError('sendMessage', 400, 'Bad Request: chat not found'));
    await expect(withTelegramRetries(bad.fn, deadlineIn(10_000), policy)).rejects.toMatchObject({ kind: 'permanent', reason: 'chat_not_found' });
    expect(blocked.calls() + bad.calls()).toBe(2);
  });
});
