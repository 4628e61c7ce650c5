import { type ScriptedResponse, startHttpFake } from './http-fake';
import { signatureProblem } from './sigv4';

export interface FakeSqsMessage {
  QueueUrl: string;
  MessageBody: string;
  MessageGroupId: string;
  MessageDeduplicationId: string;
}

export interface FakeSqs {
  /** Put in AWS_ENDPOINT_URL_SQS. */
  url: string;
  /** Messages accepted by SendMessage, deduplicated as FIFO queues do (5 minutes). */
  sent: FakeSqsMessage[];
  /** ChangeMessageVisibility calls. */
  visibility: { ReceiptHandle: string; VisibilityTimeout: number }[];
  /** Calls refused for a bad signature (must stay empty). */
  badSignatures: string[];
  /** Every call, by operation. */
  operations: string[];
  /** Answers the next calls from this script first (throttling, an outage, denial). */
  script: ScriptedResponse[];
  close(): Promise<void>;
}

/**
 * SQS over its JSON protocol (`AmazonSQS.SendMessage`, `ChangeMessageVisibility`,
 * `GetQueueAttributes`), with every request's SigV4 signature recomputed independently, FIFO
 * rules checked (a group id and a deduplication id on every send to a `.fifo` queue), and
 * repeats of a deduplication id dropped.
 */
export async function startFakeSqs(): Promise<FakeSqs> {
  const sent: FakeSqsMessage[] = [];
  const visibility: FakeSqs['visibility'] = [];
  const badSignatures: string[] = [];
  const operations: string[] = [];
  const script: ScriptedResponse[] = [];
  const fake = await startHttpFake((req) => {
    const problem = signatureProblem(req, 'sqs');
    if (problem) {
      badSignatures.push(problem);
      return { status: 400, body: { __type: 'com.amazon.coral.service#InvalidSignatureException', message: problem } };
    }
    if (req.headers['content-type'] !== 'application/x-amz-json-1.0')
      return { status: 400, body: { __type: 'com.amazonaws.sqs#InvalidParameterValue' } };
    const operation = String(req.headers['x-amz-target'] ?? '').replace(/^AmazonSQS\./, '');
    operations.push(operation);
    const scripted = script.shift();
    if (scripted && !scripted.pass) return scripted;
    const input = JSON.parse(req.raw.toString('utf8')) as Record<string, unknown>;
    switch (operation) {
      case 'SendMessage': {
        const m = input as unknown as FakeSqsMessage;
        if (m.QueueUrl.endsWith('.fifo') && (!m.MessageGroupId || !m.MessageDeduplicationId))
          return { status: 400, body: { __type: 'com.amazonaws.sqs#MissingParameter' } };
        if (!/^[\x21-\x7e]{1,128}$/.test(m.MessageGroupId) || !/^[\x21-\x7e]{1,128}$/.test(m.MessageDeduplicationId))
          return { status: 400, body: { __type: 'com.amazonaws.sqs#InvalidParameterValue' } };
        if (!sent.some((s) => s.QueueUrl === m.QueueUrl && s.MessageDeduplicationId === m.MessageDeduplicationId)) sent.push(m);
        return {
          status: 200,
          body: { MessageId: `m-${sent.length}`, MD5OfMessageBody: '', SequenceNumber: String(sent.length).padStart(20, '0') },
        };
      }
      case 'ChangeMessageVisibility':
        visibility.push(input as FakeSqs['visibility'][number]);
        return { status: 200, body: {} };
      case 'GetQueueAttributes': {
        const count = sent.filter((s) => s.QueueUrl === input.QueueUrl).length;
        return {
          status: 200,
          body: { Attributes: { ApproximateNumberOfMessages: String(count), ApproximateNumberOfMessagesNotVisible: '0' } },
        };
      }
      default:
        return { status: 400, body: { __type: 'com.amazonaws.sqs#UnsupportedOperation' } };
    }
  });
  return { url: fake.url, sent, visibility, badSignatures, operations, script, close: fake.close };
}
