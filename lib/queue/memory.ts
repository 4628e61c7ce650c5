import { randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { QueueDepths, QueueMessage, ReplyQueue } from './reply-queue';

interface Stored extends QueueMessage {
  messageId: string;
  sentAt: number;
  receiveCount: number;
  /** Not receivable before this (in flight, or waiting out a backoff). */
  visibleAt: number;
  receiptHandle?: string;
  firstReceivedAt?: number;
  sequence: number;
}

export type ReplyConsumer = (event: SQSEvent) => Promise<SQSBatchResponse>;

/**
 * The reply queue inside the process, for `npm start`, the sandbox and the tests: SQS FIFO's
 * rules, kept in memory. Messages of one group are received in order and never while an earlier
 * one of the group is in flight or waiting out its backoff; a repeated deduplication id within
 * five minutes is dropped (per group); a message received more than `maxReceives` times goes to the dead-letter
 * list; the consumer gets real SQS event shapes and answers with `batchItemFailures`, as the
 * Lambda event source mapping expects. Lost when the process ends (it is a local stand-in).
 */
export class MemoryReplyQueue implements ReplyQueue {
  readonly deadLettered: QueueMessage[] = [];
  private messages: Stored[] = [];
  private readonly dedup = new Map<string, number>();
  private sequence = 0;
  private timer?: NodeJS.Timeout;
  /** Batches being handled now (at most `concurrency`, as the mapping's maximum concurrency). */
  private readonly running = new Set<Promise<void>>();
  private stopped = true;
  private consumer?: ReplyConsumer;
  private readonly listeners = new Set<
    (event: { type: 'sent' | 'delivered' | 'retry' | 'dead_letter'; groupId: string; dedupId: string }) => void
  >();

  constructor(
    private readonly options: {
      visibilitySeconds?: number;
      maxReceives?: number;
      batchSize?: number;
      /** Batches handled at once (the event source mapping's maximum concurrency); 1 by default. */
      concurrency?: number;
      pollMs?: number;
      now?: () => number;
    } = {},
  ) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  async send(message: QueueMessage): Promise<void> {
    const now = this.now();
    for (const [id, expires] of this.dedup) if (expires <= now) this.dedup.delete(id);
    // Deduplication per message group, as the template's queue has it (DeduplicationScope).
    const key = `${message.groupId}\u0000${message.dedupId}`;
    if (this.dedup.has(key)) return; // SQS answers 200 and drops the repeat
    this.dedup.set(key, now + 5 * 60_000);
    this.messages.push({ ...message, messageId: randomUUID(), sentAt: now, receiveCount: 0, visibleAt: now, sequence: ++this.sequence });
    this.emit('sent', message);
    this.wake();
  }

  async retryAfter(receiptHandle: string, seconds: number): Promise<void> {
    const m = this.messages.find((x) => x.receiptHandle === receiptHandle);
    if (m) m.visibleAt = this.now() + seconds * 1000;
  }

  async deadLetter(message: QueueMessage): Promise<void> {
    // Deduplicated like a send (the dead-letter queue is FIFO too).
    if (this.deadLettered.some((m) => m.groupId === message.groupId && m.dedupId === message.dedupId)) return;
    this.deadLettered.push(message);
    this.emit('dead_letter', message);
  }

  /**
   * Moves every dead-lettered message back into the queue, as an operator's SQS message move task
   * does (each a send under its own deduplication id). Returns how many were moved.
   */
  async redrive(): Promise<number> {
    const moved = this.deadLettered.splice(0);
    for (const message of moved) await this.send({ body: message.body, groupId: message.groupId, dedupId: message.dedupId });
    return moved.length;
  }

  async depths(): Promise<QueueDepths> {
    const now = this.now();
    return {
      waiting: this.messages.filter((m) => m.visibleAt <= now).length,
      inFlight: this.messages.filter((m) => m.visibleAt > now).length,
      deadLettered: this.deadLettered.length,
    };
  }

  /** Messages still in the queue (waiting or in flight). */
  get size(): number {
    return this.messages.length;
  }

  /** Follows what happens to messages (the sandbox shows it). */
  onEvent(
    listener: (event: { type: 'sent' | 'delivered' | 'retry' | 'dead_letter'; groupId: string; dedupId: string }) => void,
  ): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts delivering messages to `consumer`, one batch at a time, as an event source mapping does. */
  start(consumer: ReplyConsumer): void {
    this.consumer = consumer;
    this.stopped = false;
    this.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await Promise.all([...this.running]);
  }

  /** Resolves once no message is left (delivered or dead-lettered), or rejects after `timeoutMs`. */
  async drained(timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.messages.length || this.running.size) {
      if (Date.now() > until) throw new Error(`reply queue not drained: ${this.messages.length} message(s) left`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Takes the next batch: group heads in send order, and the messages behind each head, up to the batch size. */
  receive(): SQSRecord[] {
    const now = this.now();
    const max = this.options.batchSize ?? 10;
    const maxReceives = this.options.maxReceives ?? Infinity;
    const blocked = new Set<string>();
    const batch: Stored[] = [];
    for (const m of [...this.messages]) {
      if (batch.length >= max) break;
      if (blocked.has(m.groupId)) continue;
      if (m.visibleAt > now) {
        blocked.add(m.groupId); // an earlier message of the group is in flight or backing off
        continue;
      }
      if (m.receiveCount >= maxReceives) {
        // The redrive policy: received too often, it goes to the dead-letter queue.
        this.messages = this.messages.filter((x) => x !== m);
        void this.deadLetter(m);
        continue;
      }
      m.receiveCount++;
      m.firstReceivedAt ??= now;
      m.receiptHandle = randomUUID();
      m.visibleAt = now + (this.options.visibilitySeconds ?? 30) * 1000;
      batch.push(m);
    }
    return batch.map((m) => recordOf(m));
  }

  private wake(): void {
    if (this.stopped || !this.consumer) return;
    clearTimeout(this.timer);
    while (this.running.size < Math.max(1, this.options.concurrency ?? 1)) {
      const poller: Promise<void> = this.poll().finally(() => {
        this.running.delete(poller);
        this.schedule();
      });
      this.running.add(poller);
    }
  }

  private schedule(): void {
    if (this.stopped || !this.messages.length || this.running.size) return;
    const next = Math.min(...this.messages.map((m) => m.visibleAt));
    const delay = Math.max(this.options.pollMs ?? 10, next - this.now());
    this.timer = setTimeout(() => this.wake(), Math.min(delay, 1_000));
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    for (;;) {
      if (this.stopped || !this.consumer) return;
      const records = this.receive();
      if (!records.length) return;
      let failed = new Set<string>();
      try {
        const answer = await this.consumer({ Records: records });
        failed = new Set((answer?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
      } catch {
        failed = new Set(records.map((r) => r.messageId)); // a failed invocation: the whole batch comes back
      }
      for (const r of records) {
        const m = this.messages.find((x) => x.messageId === r.messageId);
        if (!m) continue;
        if (failed.has(r.messageId)) {
          this.emit('retry', m);
        } else {
          this.messages = this.messages.filter((x) => x !== m);
          this.emit('delivered', m);
        }
      }
    }
  }

  private emit(type: 'sent' | 'delivered' | 'retry' | 'dead_letter', m: QueueMessage): void {
    for (const listener of this.listeners) listener({ type, groupId: m.groupId, dedupId: m.dedupId });
  }
}

/** An SQS FIFO record as the Lambda event source mapping delivers it. */
function recordOf(m: Stored): SQSRecord {
  return {
    messageId: m.messageId,
    receiptHandle: m.receiptHandle as string,
    body: m.body,
    attributes: {
      ApproximateReceiveCount: String(m.receiveCount),
      SentTimestamp: String(m.sentAt),
      SenderId: 'local',
      ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt ?? m.sentAt),
      SequenceNumber: String(m.sequence).padStart(20, '0'),
      MessageGroupId: m.groupId,
      MessageDeduplicationId: m.dedupId,
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:local:000000000000:replies.fifo',
    awsRegion: 'local',
  };
}
