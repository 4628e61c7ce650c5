import { describe, expect, it } from 'vitest';
import { deadlineIn } from '../../../lib/core/deadline';
import { DeliveryFailure } from '../../../lib/core/failure';
import { classifyTelegramError, TelegramApiError, TelegramNetworkError, TelegramResponseError } from '../../../lib/telegram/errors';
import { type RetryPolicy, withTelegramRetries } from '../../../lib/telegram/retry';

const waits: number[] = [];
const policy: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 100,
  maxDelayMs: 400,
  reserveMs: 1000,
  sleep: async (ms) => void waits.push(ms),
};

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
    expect(await withTelegramRetries(f.fn, 5000, deadlineIn(10_000), policy)).toBe('ok');
    expect(waits).toEqual([2000]);
  });

  it('gives up as transient (carrying retry_after) when the wait does not fit', async () => {
    const f = failing(new TelegramApiError('sendMessage', 429, 'Too Many Requests', 30));
    const error = await withTelegramRetries(f.fn, 5000, deadlineIn(10_000), policy).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryFailure);
    expect(error).toMatchObject({ kind: 'transient', retryAfterSeconds: 30, reason: 'rate_limited' });
    expect(f.calls()).toBe(1);
  });

  it('backs off on 5xx and network errors, a bounded number of times', async () => {
    waits.length = 0;
    const f = failing(...Array.from({ length: 10 }, () => new TelegramNetworkError('sendMessage', 'ECONNRESET')));
    const error = await withTelegramRetries(f.fn, 5000, deadlineIn(60_000), policy).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'transient', reason: 'network_ECONNRESET' });
    expect(f.calls()).toBe(4);
    expect(waits).toHaveLength(3);
    expect(waits.every((w, i) => w >= 0.75 * Math.min(400, 100 * 2 ** i) && w <= 1.25 * Math.min(400, 100 * 2 ** i))).toBe(true);
  });

  it('stops at once for blocked users and permanent errors', async () => {
    const blocked = failing(new TelegramApiError('sendMessage', 403, 'Forbidden: bot was blocked by the user'));
    await expect(withTelegramRetries(blocked.fn, 5000, deadlineIn(10_000), policy)).rejects.toMatchObject({ kind: 'blocked' });
    const bad = failing(new TelegramApiError('sendMessage', 400, 'Bad Request: chat not found'));
    await expect(withTelegramRetries(bad.fn, 5000, deadlineIn(10_000), policy)).rejects.toMatchObject({
      kind: 'permanent',
      reason: 'chat_not_found',
    });
    expect(blocked.calls() + bad.calls()).toBe(2);
  });

  it('gives each attempt the per-call timeout, cut to what the deadline leaves', async () => {
    const budgets: number[] = [];
    const call = async (timeoutMs: number) => {
      budgets.push(timeoutMs);
      return 'ok';
    };
    await withTelegramRetries(call, 5000, deadlineIn(60_000), policy);
    await withTelegramRetries(call, 5000, deadlineIn(3000), policy);
    expect(budgets[0]).toBe(5000);
    expect(budgets[1]).toBeGreaterThan(1900);
    expect(budgets[1]).toBeLessThanOrEqual(2000);
  });

  it('does not start an attempt when the deadline leaves no time for an answer', async () => {
    const f = failing();
    await expect(withTelegramRetries(f.fn, 5000, deadlineIn(1100), { ...policy, minAttemptMs: 250 })).rejects.toMatchObject({
      kind: 'transient',
      reason: 'no_time_left',
    });
    expect(f.calls()).toBe(0);
  });

  it('treats a rejected token or a wrong API base as a configuration fault, without retrying', async () => {
    for (const error of [
      new TelegramApiError('sendMessage', 401, 'Unauthorized'),
      new TelegramApiError('sendMessage', 404, 'Not Found'),
      new TelegramResponseError('sendMessage', 200),
    ]) {
      const f = failing(error);
      await expect(withTelegramRetries(f.fn, 5000, deadlineIn(10_000), policy)).rejects.toMatchObject({ kind: 'configuration' });
      expect(f.calls()).toBe(1);
    }
  });
});

describe('classifyTelegramError', () => {
  it.each([
    [new TelegramApiError('m', 429, 'Too Many Requests', 2.5), { action: 'retry_after', seconds: 3 }],
    [new TelegramApiError('m', 429, 'Too Many Requests'), { action: 'retry_after', seconds: 1 }],
    [new TelegramApiError('m', 502, 'Bad Gateway'), { action: 'backoff' }],
    [new TelegramResponseError('m', 502), { action: 'backoff' }],
    [new TelegramResponseError('m', 200), { action: 'configuration' }],
    [new TelegramApiError('m', 401, 'Unauthorized'), { action: 'configuration' }],
    [new TelegramApiError('m', 403, 'Forbidden: user is deactivated'), { action: 'stop_contact' }],
    [new TelegramApiError('m', 400, 'Bad Request: chat not found'), { action: 'permanent', reason: 'chat_not_found' }],
    [new TypeError('x is undefined'), { action: 'permanent', reason: 'unexpected_error' }],
  ])('%s → %o', (error, expected) => {
    expect(classifyTelegramError(error)).toMatchObject(expected);
  });
});
