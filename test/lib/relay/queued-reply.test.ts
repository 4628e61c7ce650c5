import type { SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadlineIn } from '../../../lib/core/deadline';
import { MemoryReplyQueue } from '../../../lib/queue/memory';
import { queueMessageOf } from '../../../lib/queue/reply-queue';
import { relayDeps } from '../../../lib/relay/deps';
import { deliverQueuedReply } from '../../../lib/relay/queued-reply';
import { startTestBridge, type TestBridge, textUpdate, visitorOf } from '../../support/bridge';
import { databaseEngines } from '../../support/databases';

const [engine] = databaseEngines();
const limits = { QUEUE_MAX_ATTEMPTS: 3, QUEUE_MAX_AGE_SECONDS: 3600, QUEUE_MAX_BACKOFF_SECONDS: 60 };

/** One attempt at a waiting reply, as the consumer runs it for a record. */
describe('deliverQueuedReply', () => {
  let bridge: TestBridge;
  let visitorId: string;
  const queue = new MemoryReplyQueue();
  const recordOf = (body: string, receiveCount = 1, group = 'g'): SQSRecord =>
    ({
      messageId: `m-${Math.random()}`,
      receiptHandle: 'r',
      body,
      attributes: { ApproximateReceiveCount: String(receiveCount), MessageGroupId: group, MessageDeduplicationId: `d-${Math.random()}` },
    }) as unknown as SQSRecord;
  const attempt = async (record: SQSRecord) => {
    const deps = relayDeps(await bridge.runtime.relayContext(), {
      log: bridge.runtime.log,
      deadline: deadlineIn(10_000),
      direction: 'webim_to_telegram',
      fromReplyQueue: true,
    });
    return deliverQueuedReply(deps, queue, limits, record);
  };
  const reply = (id: string, text: string, acceptedAt = Date.now()) =>
    queueMessageOf(
      { v: 1, callback: { visitor_id: visitorId, message: { id, kind: 'operator', text } }, acceptedAt, requeues: 0 },
      { visitorId, messageId: id },
    ).body;
  beforeAll(async () => {
    bridge = await startTestBridge(engine!);
    await bridge.postUpdate(textUpdate(5_300_001, 5_300_100, '/start'));
    visitorId = await visitorOf(bridge.db, 5_300_100);
  });
  afterAll(() => bridge.close());

  it('delivers a waiting reply', async () => {
    expect(await attempt(recordOf(reply('q-1', 'queued hello')))).toMatchObject({ status: 'ok', outcome: { result: 'relayed' } });
    expect(bridge.telegram.deliveredTo(5_300_100)).toEqual(['queued hello']);
  });

  it('a body it cannot read goes to the dead-letter queue at once', async () => {
    expect(await attempt(recordOf('not json'))).toEqual({ status: 'ok' });
    expect(queue.deadLettered.at(-1)?.body).toBe('not json');
  });

  const failing = () =>
    bridge.telegram.script(
      'sendMessage',
      ...Array.from({ length: 4 }, () => ({ status: 502, body: { ok: false, error_code: 502, description: 'Bad Gateway' } })),
    );
  /** The Webim message id inside a queue message's body (none for a body that is not a reply). */
  const idIn = (body: string) => {
    try {
      return JSON.parse(body).callback.message.id as string;
    } catch {
      return undefined;
    }
  };
  const stateOf = async (key: string) =>
    (await bridge.db.sql<{ state: string }[]>`SELECT state FROM delivery_claims WHERE key = ${key}`)[0]?.state;

  it('a failing reply backs off; only real delivery attempts count, and after the last one it is dead-lettered with its place given up', async () => {
    failing();
    expect(await attempt(recordOf(reply('q-2', 'never')))).toMatchObject({ status: 'retry', afterSeconds: 2 });
    // Skipped behind other records forty times: SQS counts receives, the claim counts attempts.
    failing();
    expect(await attempt(recordOf(reply('q-2', 'never'), 40))).toMatchObject({
      status: 'retry',
      afterSeconds: 4,
      outcome: { attempts: 2 },
    });
    failing();
    expect(await attempt(recordOf(reply('q-2', 'never'), 41))).toMatchObject({ status: 'ok', outcome: { result: 'failed_permanent' } });
    const copy = queue.deadLettered.at(-1);
    expect(JSON.parse(copy?.body ?? '{}')).toMatchObject({ deadLettered: true });
    expect(await stateOf('q-2')).toBe('dead');
  });

  it('a redriven dead letter is delivered exactly once, even when redriven twice within the deduplication window', async () => {
    failing();
    await attempt(recordOf(reply('q-4', 'late but whole')));
    failing();
    await attempt(recordOf(reply('q-4', 'late but whole')));
    failing();
    await attempt(recordOf(reply('q-4', 'late but whole')));
    expect(await stateOf('q-4')).toBe('dead');
    const deadCopy = queue.deadLettered.find((m) => idIn(m.body) === 'q-4');
    expect(deadCopy).toBeDefined();
    // The operator redrives it: the copy is accepted afresh under an id of its own (so the reply
    // queue does not drop it as a repeat of the copy it came from), with a fresh age.
    const before = queue.size;
    expect(await attempt(recordOf(deadCopy!.body, 1))).toEqual({ status: 'ok' });
    expect(queue.size).toBe(before + 1);
    // A second move of the same copy within five minutes is the queue's duplicate; later, the claim's.
    expect(await attempt(recordOf(deadCopy!.body, 1))).toEqual({ status: 'ok' });
    expect(queue.size).toBe(before + 1);
    const [fresh] = queue.receive().filter((m) => idIn(m.body) === 'q-4');
    expect(JSON.parse(fresh!.body).acceptedAt).toBeGreaterThan(JSON.parse(deadCopy!.body).acceptedAt);
    expect((await attempt(recordOf(fresh!.body))).outcome).toMatchObject({ result: 'relayed' });
    expect((await attempt(recordOf(fresh!.body))).outcome).toMatchObject({ result: 'duplicate' });
    expect(bridge.telegram.deliveredTo(5_300_100).filter((t) => t === 'late but whole')).toHaveLength(1);
    expect(await stateOf('q-4')).toBe('done');
  });

  it('a dead-letter queue that fails once loses nothing: the place is kept until the move succeeds, the retry moves it', async () => {
    let refusals = 1;
    const flaky = Object.assign(Object.create(queue) as MemoryReplyQueue, {
      deadLetter: async (m: Parameters<MemoryReplyQueue['deadLetter']>[0]) => {
        if (refusals-- > 0) throw new Error('dead-letter queue unavailable');
        return queue.deadLetter(m);
      },
    });
    const record = recordOf(reply('q-3', 'never either'));
    const deps = async () =>
      relayDeps(await bridge.runtime.relayContext(), {
        log: bridge.runtime.log,
        deadline: deadlineIn(10_000),
        direction: 'webim_to_telegram',
        fromReplyQueue: true,
      });
    for (let i = 0; i < 2; i++) {
      failing();
      expect(await deliverQueuedReply(await deps(), flaky, limits, record)).toMatchObject({ status: 'retry' });
    }
    failing();
    await expect(deliverQueuedReply(await deps(), flaky, limits, record)).rejects.toThrow('dead-letter queue unavailable');
    expect(await stateOf('q-3')).toBe('queued');
    failing();
    expect(await deliverQueuedReply(await deps(), flaky, limits, record)).toMatchObject({ status: 'ok' });
    expect(queue.deadLettered.filter((m) => idIn(m.body) === 'q-3')).toHaveLength(1);
    expect(await stateOf('q-3')).toBe('dead');
  });
});
