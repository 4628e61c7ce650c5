import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';

/** What became of one record: done with (deleted from the queue), or to be tried again later. */
export type RecordResult = { status: 'ok' } | { status: 'retry'; afterSeconds: number };

export interface FifoBatchResult {
  response: SQSBatchResponse;
  /** Every record to try again, with its backoff (the records skipped behind a failure get the failure's), in batch order. */
  retries: { record: SQSRecord; afterSeconds: number }[];
}

/** A record is started only with this much of the invocation left. */
const MIN_RECORD_MS = 3_000;

/**
 * Works through an SQS FIFO batch with partial failures, as Powertools' SqsFifoPartialProcessor
 * with `skipGroupOnError` does: the records of one message group (one chat) are handled one after
 * another in their order, and once one fails, every later record of that group in the batch is
 * reported failed too, unprocessed, so nothing overtakes it. Different groups are handled side by
 * side: a chat whose reply waits (a backoff, a pause before giving way) does not hold up the
 * others in the batch. Records the invocation has no time left for are reported failed (to come
 * back at once). A handler that throws counts as a failure with `fallbackSeconds`.
 */
export async function processFifoBatch(
  records: SQSRecord[],
  handle: (record: SQSRecord) => Promise<RecordResult>,
  options: { timeLeftMs: () => number; fallbackSeconds: number; onError?: (record: SQSRecord, error: unknown) => void },
): Promise<FifoBatchResult> {
  const groups = new Map<string, SQSRecord[]>();
  for (const record of records) {
    const group = record.attributes.MessageGroupId ?? record.messageId;
    groups.set(group, [...(groups.get(group) ?? []), record]);
  }
  const retryOf = new Map<SQSRecord, number>();
  await Promise.all(
    [...groups.values()].map(async (group) => {
      let blockedFor: number | undefined;
      for (const record of group) {
        if (blockedFor !== undefined) {
          retryOf.set(record, blockedFor);
          continue;
        }
        const result = await handleOne(record, handle, options);
        if (result.status === 'retry') {
          blockedFor = result.afterSeconds;
          retryOf.set(record, result.afterSeconds);
        }
      }
    }),
  );
  const retries = records.filter((r) => retryOf.has(r)).map((record) => ({ record, afterSeconds: retryOf.get(record) as number }));
  return { response: { batchItemFailures: retries.map(({ record }) => ({ itemIdentifier: record.messageId })) }, retries };
}

async function handleOne(
  record: SQSRecord,
  handle: (record: SQSRecord) => Promise<RecordResult>,
  options: { timeLeftMs: () => number; fallbackSeconds: number; onError?: (record: SQSRecord, error: unknown) => void },
): Promise<RecordResult> {
  if (options.timeLeftMs() < MIN_RECORD_MS) return { status: 'retry', afterSeconds: 0 };
  try {
    return await handle(record);
  } catch (error) {
    options.onError?.(record, error);
    return { status: 'retry', afterSeconds: options.fallbackSeconds };
  }
}
