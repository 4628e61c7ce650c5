import { createHash } from 'node:crypto';

/**
 * The reply queue: where an operator reply waits when it cannot be delivered at once (Telegram
 * down or rate-limiting for longer than an invocation, an earlier reply of the chat unfinished,
 * the database briefly gone). SQS FIFO on AWS (lib/queue/sqs), an in-process queue locally
 * (lib/queue/memory); the same rules either way: one group per visitor (one chat at a time, in
 * order), deduplication by the Webim message id, backoff between attempts, a dead-letter queue at
 * the end.
 *
 * Privacy: the reply's text exists only inside the queue message (encrypted at rest on AWS),
 * never in the database or a log line.
 */

/** What a queue message carries: the Webim callback as it arrived, and its history. */
export interface QueuedReply {
  v: 1;
  /** The callback body as Webim posted it (the consumer validates it again). */
  callback: unknown;
  /** When the bridge first accepted it (ms since the epoch): its age decides the dead letter. */
  acceptedAt: number;
  /** How often it was put back behind an earlier reply of its chat (see the consumer): each copy's generation. */
  requeues: number;
  /** A copy written to the dead-letter queue: received again, it was redriven by an operator. */
  deadLettered?: true;
}

export interface QueueMessage {
  body: string;
  /** One chat at a time, in order: derived from the visitor id. */
  groupId: string;
  /** The Webim message id and the copy's generation: a repeat of the same send is dropped. */
  dedupId: string;
}

/** The queue refused or did not answer: the reply could not be accepted (the sender must keep it). */
export class QueueError extends Error {
  override readonly name = 'QueueError';
  constructor(
    readonly code: string,
    readonly retryable: boolean,
  ) {
    super(`reply queue refused the message: ${code}`);
  }
}

/** Depths as the doctor reports them. */
export interface QueueDepths {
  waiting: number;
  inFlight: number;
  deadLettered: number;
}

export interface ReplyQueue {
  /** Stores a reply durably (resolves only then), or throws QueueError. */
  send(message: QueueMessage): Promise<void>;
  /** Makes a received message visible again after `seconds`: the backoff before its next attempt. */
  retryAfter(receiptHandle: string, seconds: number): Promise<void>;
  /** Moves a reply to the dead-letter queue (its attempts are exhausted or it waited too long). */
  deadLetter(message: QueueMessage): Promise<void>;
  depths(): Promise<QueueDepths>;
}

/**
 * Receives after which the queue itself dead-letters a message (the template's redrive policy; the
 * in-process queue's too): only a consumer that crashes on a message gets there. SQS counts
 * receives that are no attempt (records skipped behind a failed one of their chat), so this is far
 * above QUEUE_MAX_ATTEMPTS, which the consumer applies to real attempts counted in the database.
 */
export const REDRIVE_MAX_RECEIVES = 100;

/** SQS ids allow 128 characters of printable ASCII; anything else is hashed. */
const SQS_ID = /^[\x21-\x7e]{1,128}$/;
const hashed = (value: string) => createHash('sha256').update(value).digest('hex');

/**
 * The queue message of a reply: grouped by visitor, deduplicated by visitor + message id + the
 * copy's generation. A dead-letter copy has an id of its own, so when an operator redrives it
 * within SQS's five-minute deduplication window the reply queue does not drop it as a repeat of
 * the copy it came from. Throws when the body cannot be written (the caller answers 503).
 */
export function queueMessageOf(reply: QueuedReply, ids: { visitorId: string; messageId: string }): QueueMessage {
  return {
    body: JSON.stringify(reply),
    groupId: SQS_ID.test(ids.visitorId) ? ids.visitorId : hashed(ids.visitorId),
    dedupId: hashed(`${ids.visitorId}\u0000${ids.messageId}\u0000${reply.requeues}${reply.deadLettered ? '\u0000dead' : ''}`),
  };
}

/** Reads a queue message's body; undefined when it is not a reply this code wrote. */
export function readQueuedReply(body: string): QueuedReply | undefined {
  try {
    const value = JSON.parse(body) as Partial<QueuedReply>;
    if (value?.v !== 1 || typeof value.acceptedAt !== 'number' || typeof value.requeues !== 'number' || value.callback === undefined)
      return undefined;
    return value as QueuedReply;
  } catch {
    return undefined;
  }
}

/**
 * Seconds before attempt `attempt + 1` of a waiting reply: 2, 4, 8, … capped at `maxSeconds`, and
 * never earlier than what the upstream asked for (a 429's retry_after).
 */
export function backoffSeconds(attempt: number, maxSeconds: number, atLeastSeconds = 0): number {
  const exponential = Math.min(maxSeconds, 2 ** Math.max(1, attempt));
  return Math.max(1, Math.ceil(Math.max(exponential, atLeastSeconds)));
}
