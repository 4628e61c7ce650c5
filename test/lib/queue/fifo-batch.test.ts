import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { processFifoBatch, type RecordResult } from '../../../lib/queue/fifo-batch';

const record = (id: string, group: string): SQSRecord =>
  ({
    messageId: id,
    receiptHandle: `r-${id}`,
    body: id,
    attributes: { MessageGroupId: group, ApproximateReceiveCount: '1' },
  }) as unknown as SQSRecord;

describe('processFifoBatch (partial failures of an SQS FIFO batch)', () => {
  it('a failed record skips the later records of its group, unprocessed, with the same backoff; other groups go on', async () => {
    const seen: string[] = [];
    const results: Record<string, RecordResult> = { a1: { status: 'retry', afterSeconds: 8 } };
    const { response, retries } = await processFifoBatch(
      [record('a1', 'A'), record('b1', 'B'), record('a2', 'A'), record('b2', 'B')],
      async (r) => {
        seen.push(r.messageId);
        return results[r.messageId] ?? { status: 'ok' };
      },
      { timeLeftMs: () => 60_000, fallbackSeconds: 10 },
    );
    expect(seen.sort()).toEqual(['a1', 'b1', 'b2']);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'a1' }, { itemIdentifier: 'a2' }]);
    expect(retries.map((r) => [r.record.messageId, r.afterSeconds])).toEqual([
      ['a1', 8],
      ['a2', 8],
    ]);
  });

  it('groups are handled side by side, each in its order: a slow chat does not hold up the others', async () => {
    const finished: string[] = [];
    await processFifoBatch(
      [record('slow1', 'S'), record('f1', 'F'), record('slow2', 'S'), record('f2', 'F')],
      async (r) => {
        if (r.messageId.startsWith('slow')) await new Promise((resolve) => setTimeout(resolve, 200));
        finished.push(r.messageId);
        return { status: 'ok' };
      },
      { timeLeftMs: () => 60_000, fallbackSeconds: 10 },
    );
    expect(finished).toEqual(['f1', 'f2', 'slow1', 'slow2']);
  });

  it('a handler that throws is a failure with the fallback backoff, reported once', async () => {
    const errors: string[] = [];
    const { response, retries } = await processFifoBatch(
      [record('x1', 'X')],
      async () => {
        throw new Error('boom');
      },
      { timeLeftMs: () => 60_000, fallbackSeconds: 10, onError: (r) => errors.push(r.messageId) },
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'x1' }]);
    expect(retries[0]?.afterSeconds).toBe(10);
    expect(errors).toEqual(['x1']);
  });

  it('records the invocation has no time left for come back at once, unprocessed', async () => {
    let calls = 0;
    const { response, retries } = await processFifoBatch(
      [record('t1', 'T'), record('u1', 'U')],
      async () => {
        calls++;
        return { status: 'ok' };
      },
      { timeLeftMs: () => 1_000, fallbackSeconds: 10 },
    );
    expect(calls).toBe(0);
    expect(response.batchItemFailures).toHaveLength(2);
    expect(retries.every((r) => r.afterSeconds === 0)).toBe(true);
  });
});
