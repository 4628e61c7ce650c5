import { sleep } from '../core/deadline';
import type { Database } from './database';
import { type StatIncrement, statsArgs } from './delivery-stats';

/** Recording a completion is retried briefly; each try is short so the answer is not held up. */
const COMPLETION_ATTEMPTS = 2;
const COMPLETION_TIMEOUT_MS = 2_000;
const COMPLETION_RETRY_DELAY_MS = 100;

export type ClaimSource = 'telegram_update' | 'webim_message';

/**
 * What identifies a message for exactly-once delivery. `scope` keeps ids of different senders
 * apart: a Webim message id is unique only per visitor; Telegram update ids are unique per bot.
 */
export interface ClaimId {
  source: ClaimSource;
  scope: string;
  key: string;
}

/** The claim on a message this invocation now holds: its progress and how to finish it. */
export class HeldClaim {
  constructor(
    private readonly db: Database,
    readonly id: ClaimId,
    /** Telegram messages of a split reply already sent, by this or an earlier attempt. */
    public partsDone: number,
    /** Delivery attempts made so far, this one included (operator replies; refusals to overtake are not attempts). */
    readonly attempts = 1,
  ) {}

  /**
   * The Telegram messages this attempt delivered (an operator reply's parts), in memory until the
   * completion records them beside itself (migration 010): a reaction to one of them names the
   * reply, and no round trip is added for it.
   */
  readonly delivered: { chatId: number; messageIds: number[] } = { chatId: 0, messageIds: [] };

  /** Notes a Telegram message sent for this claim (no I/O: the completion writes it). */
  noteDelivered(chatId: number, messageId: number): void {
    this.delivered.chatId = chatId;
    this.delivered.messageIds.push(messageId);
  }

  /**
   * Records how many parts of a split reply have been sent, so a retry resumes after them. Only
   * split replies pay for this statement; it commits asynchronously like the others (the
   * set_config in RETURNING runs exactly when the row is written).
   */
  async recordParts(partsDone: number): Promise<void> {
    this.partsDone = partsDone;
    const { source, scope, key } = this.id;
    await this.db.query(
      (sql) => sql`
        UPDATE delivery_claims SET parts_done = ${partsDone} WHERE source = ${source} AND scope = ${scope} AND key = ${key}
        RETURNING set_config('synchronous_commit', 'off', true)`,
    );
  }

  /**
   * Marks the message finished for good (delivered, or failed permanently) and frees its chat
   * for the next operator message.
   */
  async complete(options: { timeoutMs?: number } = {}): Promise<void> {
    await this.db.withPendingStats((stats) =>
      this.db.query((sql) => completeStatement(sql, this.id, this.partsDone, stats, this.delivered), options),
    );
  }

  /**
   * Gives the id back after a transient failure, keeping the progress made, so the next attempt
   * (the sender's retry, or the reply queue's) can take it again. The chat stays held by this
   * message: later ones wait for it. `queued` only for an attempt that came from the reply queue
   * (its queue message exists and comes back); a callback's reply is marked queued once the queue
   * has it (`markReplyQueued`).
   */
  async release(options: { queued?: boolean } = {}): Promise<void> {
    const { source, scope, key } = this.id;
    await this.db.withPendingStats((stats) =>
      this.db.query((sql) =>
        options.queued
          ? sql`SELECT defer_claim(${source}, ${scope}, ${key}, ${this.partsDone}::int, ${statsArgs(sql, stats)})`
          : sql`SELECT release_claim(${source}, ${scope}, ${key}, ${this.partsDone}::int, ${statsArgs(sql, stats)})`,
      ),
    );
  }

  /**
   * Completion after the upstream accepted the message: a failure to record it must never turn
   * the success into a retry, so it is kept in this container's memory and written before the
   * next claim. Returns false when it could not be written now.
   */
  async completeAfterSuccess(): Promise<boolean> {
    for (let attempt = 1; attempt <= COMPLETION_ATTEMPTS; attempt++) {
      try {
        await this.complete({ timeoutMs: COMPLETION_TIMEOUT_MS });
        return true;
      } catch {
        if (attempt < COMPLETION_ATTEMPTS) await sleep(COMPLETION_RETRY_DELAY_MS);
      }
    }
    const { id, partsDone, delivered } = this;
    this.db.deferWrite(`${id.source}/${id.scope}/${id.key}`, (sql) => completeStatement(sql, id, partsDone, [], delivered));
    return false;
  }
}

type Sql = Database['sql'];

/**
 * The per-message statements are functions of migration 004 (planned once per connection, and
 * each commits asynchronously: see docs/performance.md); what is sent is only their call.
 */
const completeStatement = (
  sql: Sql,
  { source, scope, key }: ClaimId,
  partsDone: number,
  stats: StatIncrement[],
  delivered?: HeldClaim['delivered'],
) =>
  delivered?.messageIds.length
    ? // The delivered messages' ids ride on the completion (migration 010): the same round trip.
      sql`SELECT complete_claim(${source}, ${scope}, ${key}, ${partsDone}::int, ${statsArgs(sql, stats)}),
        record_delivered_messages(${delivered.chatId}::bigint, ${key}, ${sql.json(delivered.messageIds)}::jsonb)`
    : sql`SELECT complete_claim(${source}, ${scope}, ${key}, ${partsDone}::int, ${statsArgs(sql, stats)})`;

export type ClaimAttempt<Extra extends object = object> =
  | ({ status: 'claimed'; claim: HeldClaim } & Extra)
  /** Delivered (or permanently failed) before: acknowledge with no side effect. */
  | { status: 'done' }
  /** Another invocation is delivering it right now: ask the sender to retry later. */
  | { status: 'in_progress' }
  /** An earlier operator message of the same chat is unfinished: wait so as not to overtake it. */
  | { status: 'chat_busy' }
  /** As chat_busy, and that earlier message waits in the reply queue. */
  | { status: 'chat_queued' }
  /** The callback names a visitor we have no chat for. */
  | { status: 'unknown_visitor' };

/** A claim outcome other than `claimed`, as the claim functions name it. */
export function notClaimed(outcome: string | undefined): Exclude<ClaimAttempt, { status: 'claimed' }> {
  if (outcome === 'done' || outcome === 'chat_busy' || outcome === 'chat_queued' || outcome === 'unknown_visitor')
    return { status: outcome };
  return { status: 'in_progress' };
}

const updateClaimId = (updateId: string): ClaimId => ({ source: 'telegram_update', scope: '', key: updateId });

interface UpdateClaimRow {
  claim_outcome: string;
  claim_parts_done: number;
  claim_visitor_id: string | null;
  claim_created: boolean | null;
}

/**
 * One round trip to `claim_telegram_update` (migration 004): claims the update and, only if it is
 * now ours and `chatId` is given, creates or reads the chat's mapping. Pending outcome counts ride along.
 */
async function claimTelegramUpdate(
  db: Database,
  updateId: string,
  chatId: number | null,
  leaseSeconds: number,
): Promise<UpdateClaimRow | undefined> {
  await db.flushDeferredWrites();
  const [row] = await db.withPendingStats((stats) =>
    db.query(
      (sql) => sql<UpdateClaimRow[]>`
        SELECT * FROM claim_telegram_update(${updateId}, ${chatId}::bigint, ${leaseSeconds}::int, ${statsArgs(sql, stats)})`,
    ),
  );
  return row;
}

/**
 * Atomically claims a Telegram update that needs no chat mapping: a new id, a released one (an
 * earlier transient failure) or one whose lease expired (a crashed invocation). One round trip.
 */
export async function claimUpdate(db: Database, updateId: string, leaseSeconds: number): Promise<ClaimAttempt> {
  const row = await claimTelegramUpdate(db, updateId, null, leaseSeconds);
  if (row?.claim_outcome !== 'claimed') return notClaimed(row?.claim_outcome);
  return { status: 'claimed', claim: new HeldClaim(db, updateClaimId(updateId), row.claim_parts_done) };
}

/**
 * Claims a Telegram update and, only if it is now ours, creates or refreshes the chat's mapping
 * (clearing the blocked flag: the user wrote) — one round trip. Concurrent first messages of one
 * chat still yield one mapping row, and the chat's first mapping is committed durably.
 */
export async function claimUpdateForChat(
  db: Database,
  updateId: string,
  chatId: number,
  leaseSeconds: number,
): Promise<ClaimAttempt<{ mapping: { visitorId: string; created: boolean } }>> {
  const row = await claimTelegramUpdate(db, updateId, chatId, leaseSeconds);
  if (row?.claim_outcome !== 'claimed') return notClaimed(row?.claim_outcome);
  if (!row.claim_visitor_id) throw new Error('claimed update has no chat mapping');
  return {
    status: 'claimed',
    claim: new HeldClaim(db, updateClaimId(updateId), row.claim_parts_done),
    mapping: { visitorId: row.claim_visitor_id, created: row.claim_created === true },
  };
}

/**
 * Claims an operator message of a visitor in its chat's order and reads the visitor's chat, in one
 * round trip (`claim_reply_in_order`, migration 007). The first call for a message gives it its
 * place in the chat; it is refused (`chat_busy`, or `chat_queued` when the earlier one waits in the
 * reply queue) while an earlier place of the chat is open, and keeps its own place meanwhile.
 */
export async function claimOperatorMessage(
  db: Database,
  visitorId: string,
  messageId: string,
  options: { leaseSeconds: number; holdSeconds: number; queuedHoldSeconds?: number },
): Promise<ClaimAttempt<{ chat: { chatId: number; blocked: boolean } }>> {
  await db.flushDeferredWrites();
  const [row] = await db.query(
    (sql) => sql<
      {
        claim_outcome: string;
        claim_parts_done: number;
        claim_chat_id: string | null;
        claim_blocked: boolean | null;
        claim_attempts: number | null;
      }[]
    >`
      SELECT * FROM claim_reply_in_order(${visitorId}, ${messageId}, ${options.leaseSeconds}, ${options.holdSeconds}, ${options.queuedHoldSeconds ?? options.holdSeconds})`,
  );
  if (row?.claim_outcome !== 'claimed' || row.claim_chat_id == null) return notClaimed(row?.claim_outcome);
  return {
    status: 'claimed',
    claim: new HeldClaim(db, { source: 'webim_message', scope: visitorId, key: messageId }, row.claim_parts_done, row.claim_attempts ?? 1),
    chat: { chatId: Number(row.claim_chat_id), blocked: row.claim_blocked === true },
  };
}

/**
 * The reply queue has accepted a reply the callback could not deliver: its open place is marked
 * as waiting there (so a later reply queues behind it at once instead of waiting to see). Only
 * after the queue has the message: `queued` always has a queue message.
 */
export async function markReplyQueued(db: Database, visitorId: string, messageId: string): Promise<void> {
  await db.query((sql) => sql`SELECT mark_reply_queued(${visitorId}, ${messageId})`);
}

/**
 * A waiting reply was dead-lettered: its place no longer holds the chat (later replies go on), and
 * a redrive of it can still claim and deliver it once, with a fresh count of attempts. Pending
 * counts ride along.
 */
export async function deadLetterReply(db: Database, visitorId: string, messageId: string): Promise<void> {
  await db.withPendingStats((stats) =>
    db.query((sql) => sql`SELECT dead_letter_reply(${visitorId}, ${messageId}, ${statsArgs(sql, stats)})`),
  );
}

/**
 * A reply answered 503 while the reply queue exists is its sender's again: it gives up its place
 * in its chat, so the chat's later replies do not wait for a retry that may never come (a retry
 * takes a new place). Touches only an attempt claimed at or before `before` (never a retry's, nor
 * a finished reply). When the database cannot take it now, it is kept and written before this
 * container's next claim.
 */
export async function giveUpReplyPlace(db: Database, visitorId: string, messageId: string, before: Date): Promise<void> {
  const write = (sql: Sql) => sql`SELECT give_up_reply_place(${visitorId}, ${messageId}, ${before.toISOString()}::timestamptz)`;
  try {
    await db.query(write, { timeoutMs: COMPLETION_TIMEOUT_MS });
  } catch {
    db.deferWrite(`give-up/${visitorId}/${messageId}`, write);
  }
}

/** Rows one purge statement deletes: small enough to finish far inside any statement timeout. */
const PURGE_BATCH_ROWS = 5_000;

export interface PurgeResult {
  /** Rows deleted by this call. */
  purged: number;
  /** False when time ran out with expired rows left (the next run goes on). */
  drained: boolean;
}

/**
 * Deletes claims older than the retention window in batches of a few thousand rows, each its own
 * short statement, until none is left or `timeLeftMs` says stop — so a backlog of millions drains
 * over a few runs instead of one DELETE that hits the statement timeout and rolls back every time.
 */
export async function purgeExpiredClaims(
  db: Database,
  retentionHours: number,
  options: { timeLeftMs?: () => number; batchRows?: number } = {},
): Promise<PurgeResult> {
  const batch = options.batchRows ?? PURGE_BATCH_ROWS;
  const timeLeft = options.timeLeftMs ?? (() => Infinity);
  const cutoff = new Date(Date.now() - retentionHours * 3_600_000);
  let purged = 0;
  for (;;) {
    const started = performance.now();
    const result = await db.query(
      (sql) => sql`
        DELETE FROM delivery_claims
        WHERE ctid IN (SELECT ctid FROM delivery_claims WHERE created_at < ${cutoff} LIMIT ${batch})`,
    );
    purged += result.count;
    if (result.count < batch) return { purged, drained: true };
    // Another batch only when it fits, judged by the last one (with room to spare).
    if (timeLeft() < (performance.now() - started) * 3 + 1_000) return { purged, drained: false };
  }
}
