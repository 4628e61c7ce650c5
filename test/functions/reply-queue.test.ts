import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { telegramError } from '../../fakes/telegram';
import { operatorCallback, startTestBridge, type TestBridge, textUpdate, visitorOf } from '../support/bridge';
import { databaseEngines } from '../support/databases';
import { allTextInDatabase } from '../support/privacy';

const lambdaContext = (ms: number): Context => {
  const end = Date.now() + ms;
  return { getRemainingTimeInMillis: () => end - Date.now() } as Context;
};

/**
 * Operator replies never depend on Webim calling again: against a Webim that posts each callback
 * exactly once, a reply that cannot be delivered now is accepted (200), waits in the reply queue
 * and reaches the user once, in order, when Telegram is back.
 */
describe.each(databaseEngines())('replies wait in the reply queue on $name', (engine) => {
  let bridge: TestBridge;
  let next = 7_700_000;
  const ADMIN_CHAT = -100_777;
  const newUser = async () => {
    const chatId = ++next;
    expect((await bridge.postUpdate(textUpdate(++next, chatId, '/start'))).statusCode).toBe(200);
    return { chatId, visitorId: await visitorOf(bridge.db, chatId) };
  };
  /** Posts a callback once, as a Webim that never redelivers. */
  const postOnce = async (visitorId: string, id: string, text: string, context?: Context) => {
    const res = await bridge.postCallback(operatorCallback(visitorId, id, text), { context });
    return res.statusCode;
  };
  const until = async (check: () => boolean, ms = 15_000) => {
    const end = Date.now() + ms;
    while (!check()) {
      if (Date.now() > end) throw new Error('timed out waiting');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  beforeAll(async () => {
    bridge = await startTestBridge(
      engine,
      { QUEUE_MAX_BACKOFF_SECONDS: '1', ADMIN_CHAT_ID: String(ADMIN_CHAT), ALERT_INTERVAL_SECONDS: '10' },
      { replyQueue: true },
    );
  });
  afterAll(() => bridge.close());

  it('Telegram answers 502 for a while; three replies posted once each arrive after recovery, in order, once each', async () => {
    const { chatId, visitorId } = await newUser();
    // The next 12 sendMessage calls fail: each callback's own attempts and the queue's first ones.
    bridge.telegram.script('sendMessage', ...Array.from({ length: 12 }, () => telegramError(502, 'Bad Gateway')));
    const statuses = [];
    for (const [i, text] of ['first', 'second', 'third'].entries())
      statuses.push(await postOnce(visitorId, `outage-${chatId}-${i}`, text, lambdaContext(2_000)));
    expect(statuses).toEqual([200, 200, 200]);
    await until(() => bridge.telegram.deliveredTo(chatId).length >= 3, 30_000);
    await bridge.queue!.drained(30_000);
    expect(bridge.telegram.deliveredTo(chatId)).toEqual(['first', 'second', 'third']);
  }, 90_000);

  it('a 429 asking for longer than the invocation: accepted, and delivered once, not before retry_after', async () => {
    const { chatId, visitorId } = await newUser();
    bridge.telegram.script('sendMessage', telegramError(429, 'Too Many Requests: retry after 3', 3));
    const posted = Date.now();
    expect(await postOnce(visitorId, `limited-${chatId}`, 'after the limit', lambdaContext(2_500))).toBe(200);
    await until(() => bridge.telegram.deliveredTo(chatId).length >= 1);
    expect(Date.now() - posted).toBeGreaterThanOrEqual(3_000);
    await bridge.queue!.drained();
    expect(bridge.telegram.deliveredTo(chatId)).toEqual(['after the limit']);
  });

  it('reply 1 meets a 429, reply 2 follows 0.3 s later: neither overtakes nor is lost', async () => {
    const { chatId, visitorId } = await newUser();
    bridge.telegram.script('sendMessage', telegramError(429, 'Too Many Requests: retry after 2', 2));
    const first = postOnce(visitorId, `pair-${chatId}-1`, 'reply one', lambdaContext(1_500));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = postOnce(visitorId, `pair-${chatId}-2`, 'reply two', lambdaContext(1_500));
    expect(await Promise.all([first, second])).toEqual([200, 200]);
    await until(() => bridge.telegram.deliveredTo(chatId).length >= 2);
    await bridge.queue!.drained();
    expect(bridge.telegram.deliveredTo(chatId)).toEqual(['reply one', 'reply two']);
  });

  it('while replies wait, their text is in no table and no log line (only in the queue message)', async () => {
    const { chatId, visitorId } = await newUser();
    bridge.telegram.script('sendMessage', telegramError(429, 'Too Many Requests: retry after 2', 2));
    const secrets = ['my card ends 4417, PIN hint below', 'the parcel code is QX-55-ZETA'];
    for (const [i, text] of secrets.entries())
      expect(await postOnce(visitorId, `private-${chatId}-${i}`, text, lambdaContext(1_500))).toBe(200);
    expect(bridge.queue!.size).toBeGreaterThan(0); // they are waiting now
    const whileWaiting = `${await allTextInDatabase(bridge)}\n${bridge.logs.join('\n')}`;
    for (const text of secrets) expect(whileWaiting).not.toContain(text);
    await until(() => bridge.telegram.deliveredTo(chatId).length >= 2);
    const after = `${await allTextInDatabase(bridge)}\n${bridge.logs.join('\n')}`;
    for (const text of secrets) expect(after).not.toContain(text);
  });

  it('once a chat has a reply waiting, a later reply that could go at once queues behind it', async () => {
    const { chatId, visitorId } = await newUser();
    bridge.telegram.script('sendMessage', telegramError(429, 'Too Many Requests: retry after 2', 2));
    expect(await postOnce(visitorId, `behind-${chatId}-1`, 'waiting one', lambdaContext(1_500))).toBe(200);
    // Telegram is fine again, but the chat has a reply waiting: this one must not overtake it.
    expect(await postOnce(visitorId, `behind-${chatId}-2`, 'later one')).toBe(200);
    expect(bridge.telegram.deliveredTo(chatId)).toEqual([]);
    await until(() => bridge.telegram.deliveredTo(chatId).length >= 2);
    expect(bridge.telegram.deliveredTo(chatId)).toEqual(['waiting one', 'later one']);
  });
});

describe.each(databaseEngines())('the end of the road on $name', (engine) => {
  let bridge: TestBridge;
  const ADMIN_CHAT = -100_778;
  beforeAll(async () => {
    bridge = await startTestBridge(
      engine,
      { QUEUE_MAX_BACKOFF_SECONDS: '1', QUEUE_MAX_ATTEMPTS: '2', ADMIN_CHAT_ID: String(ADMIN_CHAT), ALERT_INTERVAL_SECONDS: '10' },
      { replyQueue: true },
    );
  });
  afterAll(() => bridge.close());

  it('a reply that never succeeds is dead-lettered with one admin alert (ids, never the text); the chat goes on', async () => {
    const chatId = 7_790_001;
    expect((await bridge.postUpdate(textUpdate(7_790_002, chatId, '/start'))).statusCode).toBe(200);
    const visitorId = await visitorOf(bridge.db, chatId);
    // Two real attempts (QUEUE_MAX_ATTEMPTS), 4 tries each: the callback's and the queue's first; the alert then goes through.
    bridge.telegram.script('sendMessage', ...Array.from({ length: 8 }, () => telegramError(502, 'Bad Gateway')));
    const res = await bridge.postCallback(operatorCallback(visitorId, 'doomed-1', 'a reply with private words'));
    expect(res.statusCode).toBe(200);
    await bridge.queue!.drained(30_000);
    expect(bridge.queue!.deadLettered).toHaveLength(1);
    const alerts = bridge.telegram.deliveredTo(ADMIN_CHAT);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatch(/Not delivered.*visitor .*message doomed-1.*dead_lettered/);
    expect(alerts[0]).not.toContain('private words');
    expect(bridge.telegram.deliveredTo(chatId)).toEqual([]);
    expect(bridge.parsedLogs().find((l) => l.event === 'message_not_delivered' && l.reason === 'dead_lettered')).toMatchObject({
      dead_letter_reason: 'attempts_exhausted',
    });
    // The chat is free for the next reply at once (its hold was given up with the dead letter).
    expect((await bridge.postCallback(operatorCallback(visitorId, 'after-1', 'next reply'))).statusCode).toBe(200);
    expect(bridge.telegram.deliveredTo(chatId)).toEqual(['next reply']);

    // The operator redrives the dead letter once Telegram is back (the documented move task): it is
    // delivered once; a second redrive of the same copy changes nothing.
    expect(await bridge.queue!.redrive()).toBe(1);
    await bridge.queue!.drained(30_000);
    expect(bridge.telegram.deliveredTo(chatId)).toEqual(['next reply', 'a reply with private words']);
    expect(bridge.parsedLogs().some((l) => l.event === 'duplicate_ignored' && l.webim_message_id === 'doomed-1')).toBe(false);
  }, 60_000);
});
