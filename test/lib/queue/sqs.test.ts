import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_AWS_ENV } from '../../../fakes/sigv4';
import { type FakeSqs, startFakeSqs } from '../../../fakes/sqs';
import { envCredentials } from '../../../lib/aws/signed-json';
import { queueMessageOf } from '../../../lib/queue/reply-queue';
import { SqsReplyQueue } from '../../../lib/queue/sqs';

const QUEUE = 'https://sqs.eu-central-1.amazonaws.com/123456789012/telegram-webim-bridge-ci-replies.fifo';
const DLQ = 'https://sqs.eu-central-1.amazonaws.com/123456789012/telegram-webim-bridge-ci-replies-dead.fifo';

/** The SQS client over the wire, against a fake that checks every signature independently. */
describe('SQS reply queue client', () => {
  let sqs: FakeSqs;
  let queue: SqsReplyQueue;
  const message = (visitorId: string, messageId: string) =>
    queueMessageOf(
      { v: 1, callback: { visitor_id: visitorId, message: { id: messageId, text: 'x' } }, acceptedAt: 1, requeues: 0 },
      { visitorId, messageId },
    );
  beforeAll(async () => {
    sqs = await startFakeSqs();
    queue = new SqsReplyQueue({
      region: FAKE_AWS_ENV.AWS_REGION,
      queueUrl: QUEUE,
      deadLetterQueueUrl: DLQ,
      credentials: envCredentials(FAKE_AWS_ENV),
      endpoint: sqs.url,
    });
  });
  afterAll(() => sqs.close());
  beforeEach(() => {
    sqs.script.length = 0;
  });

  it('sends with the visitor as the message group and a deduplication id per message; a repeat is dropped', async () => {
    await queue.send(message('3f0c5a1e-uuid', 'm-1'));
    await queue.send(message('3f0c5a1e-uuid', 'm-1'));
    await queue.send(message('3f0c5a1e-uuid', 'm-2'));
    expect(sqs.sent.map((m) => [m.QueueUrl, m.MessageGroupId])).toEqual([
      [QUEUE, '3f0c5a1e-uuid'],
      [QUEUE, '3f0c5a1e-uuid'],
    ]);
    expect(new Set(sqs.sent.map((m) => m.MessageDeduplicationId)).size).toBe(2);
    expect(sqs.badSignatures).toEqual([]);
  });

  it('a visitor id SQS would not take as a group id is hashed', async () => {
    await queue.send(message('visitor with spaces and ü', 'm-9'));
    expect(sqs.sent.at(-1)?.MessageGroupId).toMatch(/^[0-9a-f]{64}$/);
  });

  it('retries throttling, then succeeds', async () => {
    sqs.script.push({ status: 400, body: { __type: 'com.amazonaws.sqs#ThrottlingException' } });
    await queue.send(message('v-throttled', 'm-1'));
    expect(sqs.sent.at(-1)?.MessageGroupId).toBe('v-throttled');
  });

  it('an outage beyond the retries is a retryable QueueError; a refusal is not', async () => {
    sqs.script.push(...Array.from({ length: 3 }, () => ({ status: 503, body: { __type: 'ServiceUnavailable' } })));
    await expect(queue.send(message('v', 'down'))).rejects.toMatchObject({ name: 'QueueError', retryable: true });
    sqs.script.push({ status: 400, body: { __type: 'com.amazonaws.sqs#AccessDenied' } });
    const denied = await queue.send(message('v', 'denied')).catch((e: unknown) => e);
    expect(denied).toMatchObject({ name: 'QueueError', retryable: false, code: 'AccessDenied_400' });
    expect(String(denied)).not.toContain(FAKE_AWS_ENV.AWS_SECRET_ACCESS_KEY);
  });

  it('a request signed with the wrong key is refused (the signature check bites)', async () => {
    const wrong = new SqsReplyQueue({
      region: FAKE_AWS_ENV.AWS_REGION,
      queueUrl: QUEUE,
      credentials: envCredentials({ ...FAKE_AWS_ENV, AWS_SECRET_ACCESS_KEY: 'not-the-key' }),
      endpoint: sqs.url,
    });
    await expect(wrong.send(message('v', 'w'))).rejects.toMatchObject({ retryable: false });
    expect(sqs.badSignatures.length).toBe(1);
    sqs.badSignatures.length = 0;
  });

  it('changes a message visibility (the backoff), dead-letters to the DLQ, and reports depths', async () => {
    await queue.retryAfter('receipt-1', 8);
    expect(sqs.visibility.at(-1)).toEqual({ QueueUrl: QUEUE, ReceiptHandle: 'receipt-1', VisibilityTimeout: 8 });
    await queue.deadLetter(message('v-dead', 'm-dead'));
    expect(sqs.sent.at(-1)?.QueueUrl).toBe(DLQ);
    expect(await queue.depths()).toMatchObject({ deadLettered: 1 });
  });
});
