import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { telegramError } from '../../fakes/telegram';
import { sleep } from '../../lib/core/deadline';
import type { QueueMessage } from '../../lib/queue/reply-queue';
import { operatorCallback, startTestBridge, type TestBridge, textUpdate, visitorOf } from '../support/bridge';
import { databaseEngines } from '../support/databases';

const lambdaContext = (ms: number): Context => {
  const end = Date.now() + ms;
  return { getRemainingTimeInMillis: () => end - Date.now() } as Context;
};

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
describe.each(databaseEngines())('replies keep their order on every path on $name', (engine) => {
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
  const telegramDown = () => bridge.telegram.script('sendMessage', ...Array.from({ length: 4 }, () => telegramError(502, 'Bad Gateway')));
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

  it('Z is slow, A arrives during Z, B after Z: the user sees Z, A, B (A queued behind a busy chat keeps its place)', async () => {
    const { chatId, visitorId } = await newUser();
    bridge.telegram.script('sendMessage', { status: 200, pass: true, delayMs: 1_500 });
    const z = postOnce(visitorId, `z-${chatId}`, 'Z');
    await sleep(300);
    expect(await postOnce(visitorId, `a-${chatId}`, 'A')).toBe(200);
    expect(await z).toBe(200);
    expect(await postOnce(visitorId, `b-${chatId}`, 'B')).toBe(200);
    await until(() => bridge.telegram.deliveredTo(chatId).length >= 3);
    await bridge.queue!.drained(20_000);
    expect(bridge.telegram.deliveredTo(chatId)).toEqual(['Z', 'A', 'B']);
  }, 40_000);

  it('an earlier reply that reaches the queue seconds after a later one: the later one gives way, nothing waits for a timeout', async () => {
    const { chatId, visitorId } = await newUser();
    const early = `early-${chatId}`;
    await withQueueSend(
      async (send, m) => {
        if (idIn(m) === early) await sleep(3_000); // the queue is slow to take the earlier reply
        return send(m);
      },
      async () => {
        telegramDown();
        const started = Date.now();
        const first = postOnce(visitorId, early, 'earlier');
        // The later reply arrives once the earlier one failed and is on its way to the queue.
        await until(async () => (await stateOf(visitorId, early)) === 'released');
        expect(await postOnce(visitorId, `later-${chatId}`, 'later')).toBe(200);
        expect(await first).toBe(200);
        await until(() => bridge.telegram.deliveredTo(chatId).length >= 2);
        expect(bridge.telegram.deliveredTo(chatId)).toEqual(['earlier', 'later']);
        expect(Date.now() - started).toBeLessThan(15_000);
      },
    );
    await bridge.queue!.drained(20_000);
  }, 40_000);

  it('the database unreachable when a reply is claimed: 503, nothing queued (its sender keeps it); its retry is delivered once', async () => {
    const { chatId, visitorId } = await newUser();
    const id = `db-down-${chatId}`;
    bridge.proxy!.blackhole();
    const res = await bridge.postCallback(operatorCallback(visitorId, id, 'held by Webim'), { context: lambdaContext(3_000) });
    bridge.proxy!.restore();
    expect(res.statusCode).toBe(503);
    expect(bridge.parsedLogs().some((l) => l.event === 'reply_queued' && l.webim_message_id === id)).toBe(false);
    await until(async () => (await postOnce(visitorId, id, 'held by Webim')) === 200);
    await bridge.queue!.drained(20_000);
    expect(bridge.telegram.deliveredTo(chatId)).toEqual(['held by Webim']);
  }, 40_000);

  it('any failure to queue a reply is a 503 and the reply gives up its place: a later reply does not wait for a retry that may never come', async () => {
    const { chatId, visitorId } = await newUser();
    const id = `unqueueable-${chatId}`;
    await withQueueSend(
      async () => {
        throw new TypeError('not a queue refusal');
      },
      async () => {
        telegramDown();
        expect(await postOnce(visitorId, id, 'kept by Webim')).toBe(503);
      },
    );
    expect(await stateOf(visitorId, id)).toBe('released');
    // The sender never retries it; the next reply goes out at once.
    expect(await postOnce(visitorId, `next-${chatId}`, 'next')).toBe(200);
    expect(bridge.telegram.deliveredTo(chatId)).toEqual(['next']);
    // A retry after all is a new reply of the chat, delivered once.
    expect(await postOnce(visitorId, id, 'kept by Webim')).toBe(200);
    await until(() => bridge.telegram.deliveredTo(chatId).length >= 2);
    expect(bridge.telegram.deliveredTo(chatId)).toEqual(['next', 'kept by Webim']);
  }, 40_000);

  it('absurdly deep JSON is a 400 at the edge on both routes', async () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const callback = await bridge.postCallback(undefined, {
      rawBody: `{"visitor_id":"v-deep","message":{"id":"deep-1","text":"t","extra":${deep}}}`,
    });
    expect(callback.statusCode).toBe(400);
    expect(JSON.parse(callback.body ?? '{}')).toMatchObject({ error: 'too_deeply_nested' });
    const update = await bridge.postUpdate(undefined, {
      rawBody: `{"update_id":1,"message":{"message_id":1,"date":1,"chat":{"id":1,"type":"private"},"text":"t","x":${deep}}}`,
    });
    expect(update.statusCode).toBe(400);
    // Brackets inside strings are text, not nesting.
    const { visitorId } = await newUser();
    expect(await postOnce(visitorId, `brackets-${next}`, '[[[[{{{{'.repeat(50))).toBe(200);
  });

  it("a closed chat's notice that cannot go now waits in the queue (200), in order with the replies around it", async () => {
    const { chatId, visitorId } = await newUser();
    const webimChat = `wc-${chatId}`;
    telegramDown();
    const closed = await bridge.postCallback({ event: 'chat_closed', visitor_id: visitorId, chat_id: webimChat });
    expect(closed.statusCode).toBe(200);
    expect(await stateOf(visitorId, `chat-closed:${webimChat}`)).toMatch(/queued|processing|done/);
    expect(await postOnce(visitorId, `after-close-${chatId}`, 'a new question answered')).toBe(200);
    await until(() => bridge.telegram.deliveredTo(chatId).length >= 2);
    await bridge.queue!.drained(20_000);
    expect(bridge.telegram.deliveredTo(chatId)).toEqual(['The chat is closed.', 'a new question answered']);
  }, 40_000);

  it("a closed chat's notice the queue refuses: 503, and its place reads released, never queued", async () => {
    const { visitorId } = await newUser();
    const key = `chat-closed:refused-${next}`;
    await withQueueSend(
      async () => {
        throw new TypeError('queue gone');
      },
      async () => {
        telegramDown();
        const res = await bridge.postCallback({ event: 'chat_closed', visitor_id: visitorId, chat_id: `refused-${next}` });
        expect(res.statusCode).toBe(503);
      },
    );
    expect(await stateOf(visitorId, key)).toBe('released');
  });

  it('a NUL in chat_id is a 400, like any id with control characters', async () => {
    const { visitorId } = await newUser();
    const res = await bridge.postCallback({ event: 'chat_closed', visitor_id: visitorId, chat_id: 'a\u0000b' });
    expect(res.statusCode).toBe(400);
  });

  // While a deploy runs both releases on one database, the previous one decides from
  // claim_operator_reply (migration 005); it is called here as that release would.
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
