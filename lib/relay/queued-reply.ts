import type { SQSRecord } from 'aws-lambda';
import { sleep } from '../core/deadline';
import { DeliveryFailure } from '../core/failure';
import { done, type RelayOutcome } from '../core/outcome';
import { deadLetterReply, giveUpReplyPlace, markReplyQueued } from '../db/delivery-claims';
import type { RecordResult } from '../queue/fifo-batch';
import { backoffSeconds, QueueError, queueMessageOf, type ReplyQueue, readQueuedReply } from '../queue/reply-queue';
import { type WebimCallback, webimCallbackSchema } from '../webim/wire';
import type { RelayDeps } from './deps';
import { noteUndelivered } from './notices';
import { claimKeyOf, relayWebimCallback } from './webim-callback';

/** The ids a waiting reply is known by (in logs, alerts, the queue): never its text. */
export interface ReplyIds {
  visitorId: string;
  /** The operator message's id, or the closed chat's notice key. */
  messageId: string;
}

/**
 * The ids under which the reply queue may take over a callback the relay could not finish now, or
 * undefined when it may not: the outcome is final, the callback is not a claimed delivery to the
 * user, or its claim could not even be made (it holds no place in its chat, so only a 503 keeps
 * the order: its sender keeps it).
 */
export function queueableIds(
  callback: WebimCallback,
  outcome: RelayOutcome,
  settings: Parameters<typeof claimKeyOf>[1],
): ReplyIds | undefined {
  if (outcome.status !== 'retry' || outcome.unclaimed) return undefined;
  const messageId = claimKeyOf(callback, settings);
  return messageId && callback.visitor_id ? { visitorId: callback.visitor_id, messageId } : undefined;
}

/**
 * The callback could not deliver this reply now: hand it to the reply queue, so it no longer
 * depends on Webim calling again. Resolves once the queue has it (and then marks its place in the
 * chat as waiting there); throws a QueueError when it could not be queued for any reason — a
 * refusal, or a body that cannot be written as a queue message — so the callback answers 503 and
 * the sender keeps the reply. Its place in the chat is kept either way.
 */
export async function queueReply(
  deps: Pick<RelayDeps, 'db' | 'log'>,
  queue: ReplyQueue,
  rawCallback: unknown,
  ids: ReplyIds,
  reason: string,
): Promise<void> {
  const fields = { visitor_id: ids.visitorId, webim_message_id: ids.messageId, reason };
  try {
    await queue.send(queueMessageOf({ v: 1, callback: rawCallback, acceptedAt: Date.now(), requeues: 0 }, ids));
  } catch (error) {
    const refusal = error instanceof QueueError ? error : new QueueError('not_queueable', true);
    const errorClass = refusal.retryable ? 'transient' : 'configuration';
    deps.log.error('reply_not_queued', { ...fields, error_class: errorClass, error });
    throw refusal;
  }
  // Only a faster turn for the replies behind it rides on this mark: a reply in the queue whose
  // place still reads `released` is delivered all the same.
  await markReplyQueued(deps.db, ids.visitorId, ids.messageId).catch((error: unknown) =>
    deps.log.warn('reply_queued_mark_failed', { ...fields, error }),
  );
  deps.log.info('reply_queued', fields);
}

/**
 * The callback answers 503 for a reply while the reply queue exists (its claim could not be made,
 * or the queue refused it): the reply is its sender's again and gives up any place it took, so the
 * chat's later replies, accepted durably meanwhile, never wait for a retry that may not come.
 */
export async function refuseReply(
  deps: Pick<RelayDeps, 'db' | 'log'>,
  callback: WebimCallback,
  settings: RelayDeps['settings'],
): Promise<void> {
  const messageId = claimKeyOf(callback, settings);
  if (!messageId || !callback.visitor_id) return;
  await giveUpReplyPlace(deps.db, callback.visitor_id, messageId, new Date());
  deps.log.info('reply_place_given_up', { visitor_id: callback.visitor_id, webim_message_id: messageId });
}

export interface QueueLimits {
  QUEUE_MAX_ATTEMPTS: number;
  QUEUE_MAX_AGE_SECONDS: number;
  QUEUE_MAX_BACKOFF_SECONDS: number;
}

/** Put-backs made at once; after these a reply waits a moment before each, so a chat never spins the queue. */
const PROMPT_PUT_BACKS = 2;
const PUT_BACK_PAUSE_MS = 1_000;
/** Backoff while another invocation holds this very reply (not an attempt of this one). */
const IN_PROGRESS_BACKOFF_SECONDS = 5;

/**
 * Use-case: one attempt at a reply waiting in the reply queue — the same relay as the callback's
 * (claims, split parts resumed, 403 → blocked, the chat's order). Its answer to the queue:
 * - delivered, a duplicate, or failed for good → done with (deleted);
 * - an earlier reply of its chat is still open → it keeps its place (in the database) and gets out
 *   of that reply's way: a copy goes to the end of its group and this one is done with, so an
 *   earlier reply that reached the queue after it is received next (never a counted attempt);
 * - any other retry → tried again after a backoff (2 s, 4 s, … up to QUEUE_MAX_BACKOFF_SECONDS,
 *   never sooner than a 429's retry_after);
 * - after QUEUE_MAX_ATTEMPTS real delivery attempts (the claim counts them; skipped or put-back
 *   records are not attempts) or older than QUEUE_MAX_AGE_SECONDS, and still failing →
 *   dead-lettered: a copy in the dead-letter queue, its place given up (the chat's later replies go
 *   on), one admin alert with ids and reason, `message_not_delivered` logged, an operator note;
 * - a dead-lettered copy that an operator redrove → accepted again as a fresh reply (a new age and
 *   count of attempts), and delivered once unless it was delivered meanwhile.
 */
export async function deliverQueuedReply(
  deps: RelayDeps,
  queue: ReplyQueue,
  limits: QueueLimits,
  record: SQSRecord,
): Promise<RecordResult & { outcome?: RelayOutcome }> {
  const reply = readQueuedReply(record.body);
  const parsed = reply ? webimCallbackSchema.safeParse(reply.callback) : undefined;
  const messageId = parsed?.success ? claimKeyOf(parsed.data, deps.settings) : undefined;
  if (!reply || !parsed?.success || !messageId || !parsed.data.visitor_id) {
    deps.log.error('message_not_delivered', {
      reason: parsed?.success ? 'queue_message_not_deliverable' : 'queue_message_unreadable',
      error_class: 'permanent',
      queue_message_id: record.messageId,
    });
    await queue.deadLetter(asQueueMessage(record));
    return { status: 'ok' };
  }
  const callback = parsed.data;
  const ids: ReplyIds = { visitorId: parsed.data.visitor_id, messageId };
  const ageSeconds = (Date.now() - reply.acceptedAt) / 1000;
  const log = deps.log.child({
    visitor_id: ids.visitorId,
    webim_message_id: ids.messageId,
    queue_receive: record.attributes.ApproximateReceiveCount,
  });

  if (reply.deadLettered) {
    await queue.send(queueMessageOf({ v: 1, callback: reply.callback, acceptedAt: Date.now(), requeues: reply.requeues + 1 }, ids));
    log.info('reply_redriven', { waited_s: Math.round(ageSeconds) });
    return { status: 'ok' };
  }

  const outcome = await relayWebimCallback({ ...deps, log, fromReplyQueue: true }, callback);
  if (outcome.status === 'done') {
    if (reply.requeues || Number(record.attributes.ApproximateReceiveCount) > 1)
      log.info('queued_reply_done', { result: outcome.result, waited_s: Math.round(ageSeconds) });
    return { status: 'ok', outcome };
  }
  if (outcome.reason === 'chat_queued' || outcome.reason === 'chat_busy') {
    // The earlier reply may sit behind this one in the queue (it reached the queue later): step
    // aside. When it is not in the queue (still being sent by its callback), wait a moment first.
    if (outcome.reason === 'chat_busy' || reply.requeues >= PROMPT_PUT_BACKS)
      await sleep(Math.max(0, Math.min(PUT_BACK_PAUSE_MS, deps.deadline.remaining() - 5_000)));
    await queue.send(queueMessageOf({ ...reply, requeues: reply.requeues + 1 }, ids));
    log.info('reply_requeued', { reason: outcome.reason, requeues: reply.requeues + 1 });
    return { status: 'ok' };
  }
  if (outcome.reason === 'in_progress') return { status: 'retry', afterSeconds: IN_PROGRESS_BACKOFF_SECONDS, outcome };

  const attempts = outcome.attempts ?? 0;
  const final = attempts >= limits.QUEUE_MAX_ATTEMPTS || ageSeconds > limits.QUEUE_MAX_AGE_SECONDS;
  if (!final)
    return {
      status: 'retry',
      afterSeconds: backoffSeconds(Math.max(1, attempts), limits.QUEUE_MAX_BACKOFF_SECONDS, outcome.askedSeconds),
      outcome,
    };

  const reason = attempts >= limits.QUEUE_MAX_ATTEMPTS ? 'attempts_exhausted' : 'waited_too_long';
  // The copy in the dead-letter queue first: if giving up the place then fails, the next attempt
  // dead-letters again (deduplicated); the other way round, a failed move would free the chat with
  // the reply in neither queue.
  await queue.deadLetter(queueMessageOf({ ...reply, deadLettered: true }, ids));
  await deadLetterReply(deps.db, ids.visitorId, ids.messageId);
  log.error('message_not_delivered', {
    reason: 'dead_lettered',
    dead_letter_reason: reason,
    last_reason: outcome.reason,
    error_class: 'permanent',
    attempts,
    waited_s: Math.round(ageSeconds),
  });
  await deps.alerts?.failure(deps.direction, new DeliveryFailure('permanent', 'telegram', `dead_lettered_${outcome.reason}`), ids);
  if (callback.event === 'new_message')
    await noteUndelivered({ ...deps, log }, ids.visitorId, ids.messageId, `dead_lettered_${outcome.reason}`);
  return { status: 'ok', outcome: done('failed_permanent') };
}

/** A received record as the message it was sent as (an unreadable one goes to the dead-letter queue unchanged). */
const asQueueMessage = (record: SQSRecord) => ({
  body: record.body,
  // A FIFO record always has both; the fallbacks only keep the types honest.
  groupId: record.attributes.MessageGroupId ?? 'unknown-group',
  dedupId: record.attributes.MessageDeduplicationId ?? record.messageId,
});
