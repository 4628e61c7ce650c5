import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../lib/core/deadline';
import type { QueueMessage } from '../../lib/queue/reply-queue';
import { operatorCallback, startTestBridge, type TestBridge, textUpdate, visitorOf } from '../support/bridge';
import { databaseEngines } from '../support/databases';

/** The Webim message id inside a queue message (undefined for anything else). */
const idIn = (message: QueueMessage): string | undefined => {
  try {
    const body = JSON.parse(message.body);
    return body.callback?.message?.id ?? (body.callback?.event === 'chat_closed' ? `chat-closed:${body.callback.chat_id}` : undefined);
  } catch {
    return undefined;
  }
};

/**
 * The order per chat on every path the reply queue opened, against a Webim that posts each
 * callback once: a reply handed to the queue for any reason keeps its chat's place in the
 * database until it is delivered or dead-lettered, and anything that keeps a reply from the queue
 * is a 503 (the sender keeps it).
 */
describe.each(databaseEngines())('review: order per chat across a deploy on $name', (engine) => {
  let bridge: TestBridge;
  let next = 7_900_000;
  const newUser = async () => {
    const chatId = ++next;
    expect((await bridge.postUpdate(textUpdate(++next, chatId, '/start'))).statusCode).toBe(200);
    return { chatId, visitorId: await visitorOf(bridge.db, chatId) };
  };
  const postOnce = async (visitorId: string, id: string, text: string, context?: Context) =>
    (await bridge.postCallback(operatorCallback(visitorId, id, text), { context })).statusCode;
  const until = async (check: () => boolean | Promise<boolean>, ms = 20_000) => {
    const end = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > end) throw new Error('timed out waiting');
      await sleep(25);
    }
  };
  const stateOf = async (visitorId: string, key: string) =>
    (await bridge.db.sql<{ state: string }[]>`SELECT state FROM delivery_claims WHERE scope = ${visitorId} AND key = ${key}`)[0]?.state;
  /** Replaces the queue's send for one test (a queue that is slow or fails), restored afterwards. */
  const withQueueSend = async (
    send: (original: (m: QueueMessage) => Promise<void>, m: QueueMessage) => Promise<void>,
    run: () => Promise<void>,
  ) => {
    const queue = bridge.queue!;
    const original = queue.send.bind(queue);
    queue.send = (m) => send(original, m);
    try {
      await run();
    } finally {
      queue.send = original;
    }
  };

  beforeAll(async () => {
    bridge = await startTestBridge(
      engine,
      { QUEUE_MAX_BACKOFF_SECONDS: '1', CHAT_CLOSED_TEXT: 'The chat is closed.' },
      { replyQueue: true, proxy: true },
    );
  });
  afterAll(() => bridge.close());

  it('mixed-version window: the previous release (claim_operator_reply) must not claim a reply while an earlier place of the chat is still open', async () => {
    const { chatId, visitorId } = await newUser();
    // Z is slow at Telegram; A arrives meanwhile and waits (queued) with a place but never held outbound_message_id.
    bridge.telegram.script('sendMessage', { status: 200, pass: true, delayMs: 1_500 });
    const z = postOnce(visitorId, `z-${chatId}`, 'Z');
    await sleep(300);
    const a = `a-${chatId}`;
    const slowQueue = withQueueSend(
      async (send, m) => {
        if (idIn(m) === a) await sleep(4_000); // A reaches the queue late
        return send(m);
      },
      async () => {
        const answer = postOnce(visitorId, a, 'A');
        expect(await z).toBe(200);
        // Z is done; A's place is still open. The previous release now gets C for the same chat.
        expect(await stateOf(visitorId, a)).not.toBe('done');
        const [old] = await bridge.db.sql<{ claim_outcome: string }[]>`
          SELECT * FROM claim_operator_reply(${visitorId}, ${`c-${chatId}`}, 60, 600)`;
        expect(old?.claim_outcome).not.toBe('claimed');
        expect(await answer).toBe(200);
      },
    );
    await slowQueue;
    await bridge.queue!.drained(20_000);
  }, 40_000);
  it('mixed-version window: a reply the previous release claimed first and released is delivered before a later reply the new release took', async () => {
    const { chatId, visitorId } = await newUser();
    const a = `a-${chatId}`;
    const b = `b-${chatId}`;
    // The previous release claims A (its claim_operator_reply: no place in the chat's order) ...
    const [old] = await bridge.db.sql<{ claim_outcome: string }[]>`
      SELECT * FROM claim_operator_reply(${visitorId}, ${a}, 60, 600)`;
    expect(old?.claim_outcome).toBe('claimed');
    // ... the new release gets B meanwhile: it must wait behind A.
    expect(await postOnce(visitorId, b, 'B')).toBe(200);
    await sleep(500);
    expect(bridge.telegram.deliveredTo(chatId)).toEqual([]);
    // The previous release's send of A failed: it releases A and answers 503; Webim sends A again, now to the new release.
    await bridge.db.sql`SELECT release_claim('webim_message', ${visitorId}, ${a}, 0, '[]'::jsonb)`;
    const answer = await postOnce(visitorId, a, 'A');
    expect([200, 503]).toContain(answer);
    if (answer === 503) expect(await postOnce(visitorId, a, 'A')).toBe(200);
    await until(() => bridge.telegram.deliveredTo(chatId).length >= 2);
    await bridge.queue!.drained(20_000);
    expect(bridge.telegram.deliveredTo(chatId)).toEqual(['A', 'B']);
  }, 40_000);
});
