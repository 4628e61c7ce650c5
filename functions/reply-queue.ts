import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type AppContext, defaultRuntime, type Runtime } from '../lib/app/runtime';
import { deadlineIn } from '../lib/core/deadline';
import { processFifoBatch } from '../lib/queue/fifo-batch';
import type { ReplyQueue } from '../lib/queue/reply-queue';
import { relayDeps } from '../lib/relay/deps';
import { deliverQueuedReply } from '../lib/relay/queued-reply';

/** Kept back at the end of an invocation for changing visibilities and answering. */
const RESERVE_MS = 2_000;
/** Backoff for a record whose attempt failed in a way nothing classified. */
const FALLBACK_BACKOFF_SECONDS = 10;

/**
 * The reply queue's consumer (an SQS FIFO event source mapping with ReportBatchItemFailures):
 * each record is one waiting operator reply, delivered by the same use-case as the callback's.
 * Records that must wait get their backoff as their visibility timeout, and are named in
 * `batchItemFailures` together with the records behind them in their group, so the order per
 * chat holds. Locally the in-process queue calls the same handler with the same event shape.
 */
export function createReplyQueueHandler(runtime: Runtime, options: { queue?: ReplyQueue } = {}) {
  return async (event: SQSEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SQSBatchResponse> => {
    const started = performance.now();
    const log = runtime.log.child({ route: 'reply-queue' });
    const remaining = () => (context ? context.getRemainingTimeInMillis() : 25_000 - (performance.now() - started)) - RESERVE_MS;
    let ctx: AppContext;
    try {
      ctx = await runtime.relayContext();
    } catch (error) {
      // Settings or the database unavailable: every record comes back after its visibility timeout.
      log.error('request_failed', { error_class: 'transient', reason: 'bridge_unavailable', records: event.Records.length, error });
      return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
    }
    const queue = options.queue ?? runtime.replyQueue(ctx.settings);
    if (!queue) {
      log.error('configuration_error', { reason: 'no_reply_queue', missing: ['REPLY_QUEUE_URL'] });
      return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
    }
    const deadline = deadlineIn(Math.max(0, Math.min(25_000, remaining())));
    const { response, retries } = await processFifoBatch(
      event.Records,
      async (record) => {
        const deps = relayDeps(ctx, { log, deadline, direction: 'webim_to_telegram', fromReplyQueue: true });
        const result = await deliverQueuedReply(deps, queue, ctx.settings, record);
        if (result.outcome) await runtime.recordDelivery(deps, result.outcome);
        return result;
      },
      {
        timeLeftMs: remaining,
        fallbackSeconds: FALLBACK_BACKOFF_SECONDS,
        onError: (record, error) => log.error('request_failed', { error_class: 'transient', queue_message_id: record.messageId, error }),
      },
    );
    // Each record to retry becomes visible again after its backoff; one that cannot be changed
    // simply comes back after the queue's visibility timeout.
    await Promise.all(
      retries.map(({ record, afterSeconds }) =>
        queue.retryAfter(record.receiptHandle, afterSeconds).catch((error: unknown) => log.warn('visibility_change_failed', { error })),
      ),
    );
    log.info('batch_done', {
      records: event.Records.length,
      retried: retries.length,
      duration_ms: Math.round(performance.now() - started),
    });
    return response;
  };
}

export const handler = createReplyQueueHandler(defaultRuntime());
