import type { SQSRecord } from 'aws-lambda';
import { DeliveryFailure } from '../core/failure';
import { done, type RelayOutcome } from '../core/outcome';
import { giveUpOperatorMessage, unqueueOperatorMessage } from '../db/delivery-claims';
import type { RecordResult } from '../queue/fifo-batch';
import {
  backoffSeconds,
  type QueuedReply,
  QueueError,
  type QueueMessage,
  queueMessageOf,
  type ReplyQueue,
  readQueuedReply,
} from '../queue/reply-queue';
import { type WebimCallback, webimCallbackSchema } from '../webim/wire';
import type { RelayDeps } from './deps';
import { noteUndelivered } from './notices';
import { relayWebimCallback } from './webim-callback';

/** A received record as the message it was sent as (to move it to the dead-letter queue unchanged). */
const asQueueMessage = (record: SQSRecord): QueueMessage => ({
  body: record.body,
  // A FIFO record always has both; the fallbacks only keep the types honest.
  groupId: record.attributes.MessageGroupId ?? 'unknown-group',
  dedupId: record.attributes.MessageDeduplicationId ?? record.messageId,
});

/** How often a reply may be put back behind an earlier one of its chat before it simply waits its turn. */
const MAX_REQUEUES = 50;

/** The ids a waiting reply is known by (in logs, alerts, the queue): never its text. */
const idsOf = (callback: WebimCallback) => ({ visitorId: callback.visitor_id, messageId: callback.message?.id });

/** Whether an outcome of the callback is one the reply queue can take over (a retry of an identified operator message). */
export function queueable(callback: WebimCallback, outcome: RelayOutcome): boolean {
  return outcome.status === 'retry' && callback.event === 'new_message' && !!callback.visitor_id && !!callback.message?.id;
}

/**
 * The callback could not deliver this reply now: hand it to the reply queue, so it no longer
 * depends on Webim calling again. Resolves once the queue has it; on a refusal the claim is
 * returned to `released` (nothing waits in the queue for it) and the QueueError is thrown, so the
 * callback answers 503 and the sender keeps the reply.
 */
export async function queueReply(
  deps: Pick<RelayDeps, 'db' | 'log'>,
  queue: ReplyQueue,
  rawCallback: unknown,
  callback: WebimCallback,
  reason: string,
): Promise<void> {
  const { visitorId, messageId } = idsOf(callback) as { visitorId: string; messageId: string };
  const reply: QueuedReply = { v: 1, callback: rawCallback, acceptedAt: Date.now(), requeues: 0 };
  try {
    await queue.send(queueMessageOf(reply, { visitorId, messageId }));
  } catch (error) {
    deps.log.error('reply_not_queued', {
      visitor_id: visitorId,
      webim_message_id: messageId,
      reason,
      error_class: error instanceof QueueError && error.retryable ? 'transient' : 'configuration',
      error,
    });
    await unqueueOperatorMessage(deps.db, visitorId, messageId).catch((e: unknown) => deps.log.warn('claim_unqueue_failed', { error: e }));
    throw error;
  }
  deps.log.info('reply_queued', { visitor_id: visitorId, webim_message_id: messageId, reason });
}

export interface QueueLimits {
  QUEUE_MAX_ATTEMPTS: number;
  QUEUE_MAX_AGE_SECONDS: number;
  QUEUE_MAX_BACKOFF_SECONDS: number;
}

/**
 * Use-case: one attempt at a reply waiting in the reply queue — the same relay as the callback's
 * (claims, split parts resumed, 403 → blocked, per-chat order). Its answer to the queue:
 * - delivered, a duplicate, or failed for good → done with (deleted);
 * - an earlier reply of the chat waits behind it in the queue (the two raced into the queue) → it
 *   is put back behind that one (a copy at the end of its group) and this copy is done with;
 * - any other retry → tried again after a backoff (2 s, 4 s, … up to QUEUE_MAX_BACKOFF_SECONDS,
 *   never sooner than a 429's retry_after);
 * - its last attempt (QUEUE_MAX_ATTEMPTS) or older than QUEUE_MAX_AGE_SECONDS, and still failing →
 *   dead-lettered: its claim given up (so the chat's later replies go on), one admin alert with ids
 *   and reason, `message_not_delivered` logged.
 */
export async function deliverQueuedReply(
  deps: RelayDeps,
  queue: ReplyQueue,
  limits: QueueLimits,
  record: SQSRecord,
): Promise<RecordResult & { outcome?: RelayOutcome }> {
  const reply = readQueuedReply(record.body);
  const parsed = reply ? webimCallbackSchema.safeParse(reply.callback) : undefined;
  if (!reply || !parsed?.success) {
    deps.log.error('message_not_delivered', {
      reason: 'queue_message_unreadable',
      error_class: 'permanent',
      queue_message_id: record.messageId,
    });
    await queue.deadLetter(asQueueMessage(record));
    return { status: 'ok' };
  }
  const callback = parsed.data;
  const ids = idsOf(callback);
  const attempt = Number(record.attributes.ApproximateReceiveCount) || 1;
  const ageSeconds = (Date.now() - reply.acceptedAt) / 1000;
  const log = deps.log.child({ visitor_id: ids.visitorId, webim_message_id: ids.messageId, queue_attempt: attempt });
  const outcome = await relayWebimCallback({ ...deps, log, queueing: true }, callback);
  if (outcome.status === 'done') {
    if (attempt > 1 || reply.requeues) log.info('queued_reply_done', { result: outcome.result, waited_s: Math.round(ageSeconds) });
    return { status: 'ok', outcome };
  }
  if (outcome.reason === 'chat_queued' && reply.requeues < MAX_REQUEUES) {
    await queue.send(queueMessageOf({ ...reply, requeues: reply.requeues + 1 }, ids as { visitorId: string; messageId: string }));
    log.info('reply_requeued', { reason: 'earlier_reply_queued_behind', requeues: reply.requeues + 1 });
    return { status: 'ok' };
  }
  const final = attempt >= limits.QUEUE_MAX_ATTEMPTS || ageSeconds > limits.QUEUE_MAX_AGE_SECONDS;
  if (!final)
    return { status: 'retry', afterSeconds: backoffSeconds(attempt, limits.QUEUE_MAX_BACKOFF_SECONDS, outcome.askedSeconds), outcome };

  const reason = attempt >= limits.QUEUE_MAX_ATTEMPTS ? 'attempts_exhausted' : 'waited_too_long';
  // The copy in the dead-letter queue first: if giving up the claim then fails, the next attempt
  // dead-letters again (deduplicated); the other way round, a failed move would leave a completed
  // claim and the reply gone from both queues.
  await queue.deadLetter(asQueueMessage(record));
  await giveUpOperatorMessage(deps.db, ids.visitorId as string, ids.messageId as string);
  log.error('message_not_delivered', {
    reason: 'dead_lettered',
    dead_letter_reason: reason,
    last_reason: outcome.reason,
    error_class: 'permanent',
    waited_s: Math.round(ageSeconds),
  });
  await deps.alerts?.failure(deps.direction, new DeliveryFailure('permanent', 'telegram', `dead_lettered_${outcome.reason}`), ids);
  await noteUndelivered({ ...deps, log }, ids.visitorId as string, ids.messageId as string, `dead_lettered_${outcome.reason}`);
  return { status: 'ok', outcome: done('failed_permanent') };
}
