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
      queueing: true,
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

  it('a failing reply backs off, and on its last attempt is dead-lettered with its claim given up', async () => {
    const failing = () =>
      bridge.telegram.script(
        'sendMessage',
        ...Array.from({ length: 4 }, () => ({ status: 502, body: { ok: false, error_code: 502, description: 'Bad Gateway' } })),
      );
    failing();
    expect(await attempt(recordOf(reply('q-2', 'never')))).toMatchObject({ status: 'retry', afterSeconds: 2 });
    failing();
    expect(await attempt(recordOf(reply('q-2', 'never'), 3))).toMatchObject({ status: 'ok', outcome: { result: 'failed_permanent' } });
    expect(queue.deadLettered.length).toBeGreaterThanOrEqual(1);
    const [claim] = await bridge.db.sql<{ state: string }[]>`SELECT state FROM delivery_claims WHERE key = 'q-2'`;
    expect(claim?.state).toBe('done');
  });

  it('a dead-letter queue that fails once loses nothing: the claim is kept until the move succeeds, the retry moves it', async () => {
    const failing = () =>
      bridge.telegram.script(
        'sendMessage',
        ...Array.from({ length: 4 }, () => ({ status: 502, body: { ok: false, error_code: 502, description: 'Bad Gateway' } })),
      );
    let refusals = 1;
    const flaky = Object.assign(Object.create(queue) as MemoryReplyQueue, {
      deadLetter: async (m: Parameters<MemoryReplyQueue['deadLetter']>[0]) => {
        if (refusals-- > 0) throw new Error('dead-letter queue unavailable');
        return queue.deadLetter(m);
      },
    });
    const record = recordOf(reply('q-3', 'never either'), 3);
    const deps = async () =>
      relayDeps(await bridge.runtime.relayContext(), {
        log: bridge.runtime.log,
        deadline: deadlineIn(10_000),
        direction: 'webim_to_telegram',
        queueing: true,
      });
    failing();
    await expect(deliverQueuedReply(await deps(), flaky, limits, record)).rejects.toThrow('dead-letter queue unavailable');
    const [held] = await bridge.db.sql<{ state: string }[]>`SELECT state FROM delivery_claims WHERE key = 'q-3'`;
    expect(held?.state).not.toBe('done');
    failing();
    expect(await deliverQueuedReply(await deps(), flaky, limits, record)).toMatchObject({ status: 'ok' });
    expect(queue.deadLettered.filter((m) => m.body === record.body)).toHaveLength(1);
    const [claim] = await bridge.db.sql<{ state: string }[]>`SELECT state FROM delivery_claims WHERE key = 'q-3'`;
    expect(claim?.state).toBe('done');
  });
});
