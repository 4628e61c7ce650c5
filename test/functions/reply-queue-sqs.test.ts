import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_AWS_ENV } from '../../fakes/sigv4';
import { type FakeSqs, type FakeSqsMessage, startFakeSqs } from '../../fakes/sqs';
import { telegramError } from '../../fakes/telegram';
import { createReplyQueueHandler } from '../../functions/reply-queue';
import { runAdminAction } from '../../lib/admin/actions';
import { claimOperatorMessage } from '../../lib/db/delivery-claims';
import { readMigrations } from '../../lib/db/migrate';
import { operatorCallback, startTestBridge, type TestBridge, textUpdate, visitorOf } from '../support/bridge';
import { databaseEngines } from '../support/databases';

const [engine] = databaseEngines();
const QUEUE = 'https://sqs.eu-central-1.amazonaws.com/123456789012/telegram-webim-bridge-ci-replies.fifo';
const DLQ = 'https://sqs.eu-central-1.amazonaws.com/123456789012/telegram-webim-bridge-ci-replies-dead.fifo';

/** An SQS FIFO record as the Lambda event source mapping hands it over. */
let sequence = 0;
function sqsRecord(m: FakeSqsMessage, receiveCount = 1): SQSRecord {
  const n = ++sequence;
  return {
    messageId: `0b1e${String(n).padStart(4, '0')}-7f0e-4c3c-9a55-2a8d3c1f${String(n).padStart(4, '0')}`,
    receiptHandle: `AQEB-receipt-${n}`,
    body: m.MessageBody,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: String(Date.now()),
      SenderId: 'AROAEXAMPLE:telegram-webim-bridge-ci-webimCallback',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
      SequenceNumber: String(18_880_000_000_000_000_000 + n),
      MessageGroupId: m.MessageGroupId,
      MessageDeduplicationId: m.MessageDeduplicationId,
    },
    messageAttributes: {},
    md5OfBody: 'ignored',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-central-1:123456789012:telegram-webim-bridge-ci-replies.fifo',
    awsRegion: 'eu-central-1',
  };
}

/**
 * As deployed: the callback hands a reply it cannot deliver to SQS FIFO (the real wire protocol,
 * signatures checked), and the consumer function is driven with real SQS event shapes.
 */
describe('the reply queue on SQS', () => {
  let sqs: FakeSqs;
  let bridge: TestBridge;
  let next = 7_800_000;
  const newUser = async () => {
    const chatId = ++next;
    expect((await bridge.postUpdate(textUpdate(++next, chatId, '/start'))).statusCode).toBe(200);
    return { chatId, visitorId: await visitorOf(bridge.db, chatId) };
  };
  const consumer = () => createReplyQueueHandler(bridge.runtime);

  beforeAll(async () => {
    sqs = await startFakeSqs();
    bridge = await startTestBridge(engine!, {
      ...FAKE_AWS_ENV,
      AWS_ENDPOINT_URL_SQS: sqs.url,
      REPLY_QUEUE_URL: QUEUE,
      REPLY_DEAD_LETTER_QUEUE_URL: DLQ,
      STAGE: 'ci',
    });
  });
  afterAll(async () => {
    await bridge.close();
    await sqs.close();
  });
  beforeEach(() => {
    sqs.script.length = 0;
  });

  it('Telegram down: the callback answers 200 once SQS has the reply (group = visitor, one deduplication id per message); the consumer delivers it', async () => {
    const { chatId, visitorId } = await newUser();
    bridge.telegram.script('sendMessage', ...Array.from({ length: 4 }, () => telegramError(502, 'Bad Gateway')));
    const res = await bridge.postCallback(operatorCallback(visitorId, `sqs-${chatId}`, 'through the queue'));
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body ?? '{}')).toEqual({ result: 'ok' });
    const queued = sqs.sent.filter((m) => m.MessageGroupId === visitorId);
    expect(queued).toHaveLength(1);
    expect(queued[0]?.QueueUrl).toBe(QUEUE);
    expect(sqs.badSignatures).toEqual([]);

    const answer = await consumer()({ Records: [sqsRecord(queued[0]!)] });
    expect(answer).toEqual({ batchItemFailures: [] });
    expect(bridge.telegram.deliveredTo(chatId)).toEqual(['through the queue']);
  });

  it('a batch with a failing group, a group that must give way and one that succeeds: batchItemFailures names exactly the failed record and the one behind it', async () => {
    const a = await newUser();
    const b = await newUser();
    const c = await newUser();
    // Chat A is held by an earlier reply being sent right now (another invocation's claim).
    await claimOperatorMessage(bridge.db, a.visitorId, 'a-earlier', { leaseSeconds: 60, holdSeconds: 600 });
    const send = async (visitorId: string, id: string, text: string, telegramDown: boolean) => {
      if (telegramDown) bridge.telegram.script('sendMessage', ...Array.from({ length: 4 }, () => telegramError(502, 'Bad Gateway')));
      expect((await bridge.postCallback(operatorCallback(visitorId, id, text))).statusCode).toBe(200);
      return sqs.sent.at(-1)!;
    };
    // A's replies wait for the earlier one (no Telegram call); B's first meets Telegram down and its
    // second queues behind it; C's meets Telegram down once, then goes through from the queue.
    // When the batch comes, another invocation is delivering B's first: it must wait again.
    const a1 = await send(a.visitorId, 'a-1', 'A one', false);
    const a2 = await send(a.visitorId, 'a-2', 'A two', false);
    const b1 = await send(b.visitorId, 'b-1', 'B one', true);
    const b2 = await send(b.visitorId, 'b-2', 'B two', false);
    const c1 = await send(c.visitorId, 'c-1', 'C one', true);
    expect(await claimOperatorMessage(bridge.db, b.visitorId, 'b-1', { leaseSeconds: 60, holdSeconds: 600 })).toMatchObject({
      status: 'claimed',
    });
    const records = [sqsRecord(a1), sqsRecord(b1), sqsRecord(c1), sqsRecord(a2), sqsRecord(b2)];
    const sentBefore = sqs.sent.length;
    const visibilityBefore = sqs.visibility.length;
    const answer = await consumer()({ Records: records } as SQSEvent);
    // B's first must wait (and its second was skipped behind it); C's went through; A's replies
    // gave way: each a copy at the end of A's group, in order.
    expect(answer.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([records[1]!.messageId, records[4]!.messageId]);
    expect(bridge.telegram.deliveredTo(c.chatId)).toEqual(['C one']);
    expect(bridge.telegram.deliveredTo(a.chatId)).toEqual([]);
    const putBack = sqs.sent.slice(sentBefore);
    expect(putBack.map((m) => m.MessageGroupId)).toEqual([a.visitorId, a.visitorId]);
    expect(putBack.map((m) => JSON.parse(m.MessageBody as string).callback.message.id)).toEqual(['a-1', 'a-2']);
    expect(new Set([a1, a2, ...putBack].map((m) => m.MessageDeduplicationId)).size).toBe(4);
    // Both of B's records got the same backoff as their visibility timeout.
    const changed = sqs.visibility.slice(visibilityBefore);
    expect(changed.map((v) => v.ReceiptHandle).sort()).toEqual([records[1]!.receiptHandle, records[4]!.receiptHandle].sort());
    expect(new Set(changed.map((v) => v.VisibilityTimeout)).size).toBe(1);
    expect(changed[0]!.VisibilityTimeout).toBeLessThanOrEqual(60);
  });

  it('the doctor reports the queue depths', async () => {
    const result = await runAdminAction(bridge.runtime, { action: 'doctor' }, await readMigrations());
    const queue = result.checks?.find((c) => c.name === 'queue');
    expect(queue?.detail).toMatch(/^\d+ waiting, \d+ being delivered, \d+ dead-lettered$/);
    expect(sqs.operations).toContain('GetQueueAttributes');
  });

  it('SQS throttled beyond its retries, or refusing: the callback answers 503 and Webim keeps the reply', async () => {
    const { visitorId } = await newUser();
    bridge.telegram.script('sendMessage', ...Array.from({ length: 4 }, () => telegramError(502, 'Bad Gateway')));
    sqs.script.push(...Array.from({ length: 3 }, () => ({ status: 400, body: { __type: 'com.amazonaws.sqs#ThrottlingException' } })));
    const throttled = await bridge.postCallback(operatorCallback(visitorId, 'throttled-1', 'held by Webim'));
    expect(throttled.statusCode).toBe(503);
    expect(Number(throttled.headers?.['retry-after'])).toBeLessThan(60);
    expect(bridge.parsedLogs().find((l) => l.event === 'reply_not_queued')).toBeDefined();
    const [claim] = await bridge.db.sql<{ state: string }[]>`SELECT state FROM delivery_claims WHERE key = 'throttled-1'`;
    expect(claim?.state).toBe('released'); // not 'queued': nothing waits in the queue for it

    bridge.telegram.script('sendMessage', ...Array.from({ length: 4 }, () => telegramError(502, 'Bad Gateway')));
    sqs.script.push({ status: 400, body: { __type: 'com.amazonaws.sqs#AccessDenied' } });
    const denied = await bridge.postCallback(operatorCallback(visitorId, 'denied-1', 'held by Webim'));
    expect(denied.statusCode).toBe(503);
    expect(denied.headers?.['retry-after']).toBe('60');
  });
});
