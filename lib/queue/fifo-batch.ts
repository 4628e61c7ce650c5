import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';

/** What became of one record: done with (deleted from the queue), or to be tried again later. */
export type RecordResult = { status: 'ok' } | { status: 'retry'; afterSeconds: number };

export interface FifoBatchResult {
  response: SQSBatchResponse;
  /** Every record to try again, with its backoff (the records skipped behind a failure get the failure's). */
  retries: { record: SQSRecord; afterSeconds: number }[];
}

/** A record is started only with this much of the invocation left. */
const MIN_RECORD_MS = 3_000;

/**
 * Works through an SQS FIFO batch in order with partial failures, as Powertools'
 * SqsFifoPartialProcessor with `skipGroupOnError` does: once a record of a message group fails,
 * every later record of that group in the batch is reported failed too, unprocessed, so nothing
 * overtakes it; other groups go on. Records the invocation has no time left for are reported
 * failed (to come back at once). A handler that throws counts as a failure with `fallbackSeconds`.
 */
export async function processFifoBatch(
  records: SQSRecord[],
  handle: (record: SQSRecord) => Promise<RecordResult>,
  options: { timeLeftMs: () => number; fallbackSeconds: number; onError?: (record: SQSRecord, error: unknown) => void },
): Promise<FifoBatchResult> {
  const failedGroups = new Map<string, number>();
  const retries: FifoBatchResult['retries'] = [];
  for (const record of records) {
    const group = record.attributes.MessageGroupId ?? record.messageId;
    const blockedFor = failedGroups.get(group);
    if (blockedFor !== undefined) {
      retries.push({ record, afterSeconds: blockedFor });
      continue;
    }
    let result: RecordResult;
    if (options.timeLeftMs() < MIN_RECORD_MS) {
      result = { status: 'retry', afterSeconds: 0 };
    } else {
      try {
        result = await handle(record);
      } catch (error) {
        options.onError?.(record, error);
        result = { status: 'retry', afterSeconds: options.fallbackSeconds };
      }
    }
    if (result.status === 'retry') {
      failedGroups.set(group, result.afterSeconds);
      retries.push({ record, afterSeconds: result.afterSeconds });
    }
  }
  return { response: { batchItemFailures: retries.map(({ record }) => ({ itemIdentifier: record.messageId })) }, retries };
}
