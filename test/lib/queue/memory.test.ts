import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { MemoryReplyQueue } from '../../../lib/queue/memory';
import { backoffSeconds } from '../../../lib/queue/reply-queue';

const msg = (group: string, dedup: string) => ({ body: `${group}:${dedup}`, groupId: group, dedupId: dedup });

describe('the in-process reply queue (SQS FIFO rules)', () => {
  it('delivers each group in order, one in flight per group, and drops a repeated deduplication id', async () => {
    const queue = new MemoryReplyQueue();
    for (const m of [msg('A', '1'), msg('B', '1'), msg('A', '2'), msg('A', '2')]) await queue.send(m);
    expect(queue.size).toBe(3);
    const first = queue.receive().map((r) => r.body);
    expect(first).toEqual(['A:1', 'B:1', 'A:2']);
    // While they are in flight, nothing of those groups is received again.
    expect(queue.receive()).toEqual([]);
  });

  it('a failed record comes back after its backoff, with its receive count; past maxReceives it is dead-lettered', async () => {
    let now = 1_000_000;
    const queue = new MemoryReplyQueue({ maxReceives: 2, now: () => now });
    await queue.send(msg('A', '1'));
    const [r1] = queue.receive();
    await queue.retryAfter(r1!.receiptHandle, 5);
    now += 4_000;
    expect(queue.receive()).toEqual([]);
    now += 1_500;
    const [r2] = queue.receive();
    expect(r2?.attributes.ApproximateReceiveCount).toBe('2');
    await queue.retryAfter(r2!.receiptHandle, 0);
    expect(queue.receive()).toEqual([]);
    expect(queue.deadLettered.map((m) => m.dedupId)).toEqual(['1']);
  });

  it('runs a consumer with SQS event shapes and deletes what it did not report failed', async () => {
    const queue = new MemoryReplyQueue();
    const events: SQSEvent[] = [];
    queue.start(async (event) => {
      events.push(event);
      return { batchItemFailures: [] };
    });
    await queue.send(msg('A', '1'));
    await queue.drained(2_000);
    await queue.stop();
    expect(events[0]?.Records[0]).toMatchObject({
      body: 'A:1',
      eventSource: 'aws:sqs',
      attributes: { MessageGroupId: 'A', MessageDeduplicationId: '1' },
    });
  });

  it('backs off 2, 4, 8 … seconds up to the cap, never sooner than asked', () => {
    expect([1, 2, 3, 4, 10].map((n) => backoffSeconds(n, 60))).toEqual([2, 4, 8, 16, 60]);
    expect(backoffSeconds(1, 60, 45)).toBe(45);
    expect(backoffSeconds(3, 5)).toBe(5);
  });
});
