import { AwsCallError, type CredentialsProvider, envCredentials, SignedJsonClient } from '../aws/signed-json';
import { type QueueDepths, QueueError, type QueueMessage, type ReplyQueue } from './reply-queue';

/**
 * The reply queue on SQS FIFO, over SQS's JSON protocol with one signed call per operation
 * (SendMessage, ChangeMessageVisibility, GetQueueAttributes). Throttling, 5xx and no answer are
 * retried (3 attempts with full jitter, as the SDK does) and then retryable QueueErrors; refusals
 * (AccessDenied, a queue that does not exist, KMS) are not retryable.
 */
export class SqsReplyQueue implements ReplyQueue {
  private readonly client: SignedJsonClient;

  constructor(
    private readonly options: {
      region: string;
      queueUrl: string;
      deadLetterQueueUrl?: string;
      credentials: CredentialsProvider;
      /** Default `https://sqs.<region>.amazonaws.com`; AWS_ENDPOINT_URL_SQS overrides it, as in the SDK. */
      endpoint?: string;
      timeoutMs?: number;
    },
  ) {
    this.client = new SignedJsonClient({
      service: 'sqs',
      region: options.region,
      endpoint: options.endpoint,
      credentials: options.credentials,
      targetPrefix: 'AmazonSQS',
      jsonVersion: '1.0',
      timeoutMs: options.timeoutMs ?? 2_000,
    });
  }

  async send(message: QueueMessage): Promise<void> {
    await this.call('SendMessage', {
      QueueUrl: this.options.queueUrl,
      MessageBody: message.body,
      MessageGroupId: message.groupId,
      MessageDeduplicationId: message.dedupId,
    });
  }

  async retryAfter(receiptHandle: string, seconds: number): Promise<void> {
    await this.call('ChangeMessageVisibility', {
      QueueUrl: this.options.queueUrl,
      ReceiptHandle: receiptHandle,
      VisibilityTimeout: Math.min(43_200, Math.max(0, Math.round(seconds))),
    });
  }

  async deadLetter(message: QueueMessage): Promise<void> {
    if (!this.options.deadLetterQueueUrl) throw new QueueError('no_dead_letter_queue', false);
    await this.call('SendMessage', {
      QueueUrl: this.options.deadLetterQueueUrl,
      MessageBody: message.body,
      MessageGroupId: message.groupId,
      MessageDeduplicationId: message.dedupId,
    });
  }

  async depths(): Promise<QueueDepths> {
    const attributes = async (url: string) =>
      (
        await this.call<{ Attributes?: Record<string, string> }>('GetQueueAttributes', {
          QueueUrl: url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        })
      ).Attributes ?? {};
    const [main, dead] = await Promise.all([
      attributes(this.options.queueUrl),
      this.options.deadLetterQueueUrl ? attributes(this.options.deadLetterQueueUrl) : Promise.resolve({} as Record<string, string>),
    ]);
    return {
      waiting: Number(main.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(main.ApproximateNumberOfMessagesNotVisible ?? 0),
      deadLettered: Number(dead.ApproximateNumberOfMessages ?? 0),
    };
  }

  private async call<T extends object>(operation: string, input: Record<string, unknown>): Promise<T> {
    try {
      return await this.client.call<T>(operation, input);
    } catch (error) {
      if (error instanceof AwsCallError) throw new QueueError(`${error.code}${error.status ? `_${error.status}` : ''}`, error.retryable);
      throw error;
    }
  }
}

/** The reply queue of a deployed stage (REPLY_QUEUE_URL set by the template), or undefined. */
export function sqsReplyQueueFromEnv(
  env: Record<string, string | undefined>,
  urls: { queueUrl?: string; deadLetterQueueUrl?: string },
  credentials: CredentialsProvider = envCredentials(env),
): SqsReplyQueue | undefined {
  if (!urls.queueUrl) return undefined;
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? /sqs\.([a-z0-9-]+)\./.exec(urls.queueUrl)?.[1];
  if (!region) throw new QueueError('no_region', false);
  return new SqsReplyQueue({
    region,
    queueUrl: urls.queueUrl,
    deadLetterQueueUrl: urls.deadLetterQueueUrl,
    credentials,
    endpoint: env.AWS_ENDPOINT_URL_SQS ?? env.AWS_ENDPOINT_URL,
  });
}
