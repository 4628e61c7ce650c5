import { sleep } from '../delivery/deadline';
import type { Database } from './database';
import { statsCte } from './delivery-stats';

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
  ) {}

  /** Records how many parts of a split reply have been sent, so a retry resumes after them. */
  async recordParts(partsDone: number): Promise<void> {
    this.partsDone = partsDone;
    const { source, scope, key } = this.id;
    await this.db.query(
      (sql) => sql`
        UPDATE delivery_claims SET parts_done = ${partsDone} WHERE source = ${source} AND scope = ${scope} AND key = ${key}
        RETURNING ${asyncCommit(sql)}`,
    );
  }

  /**
   * Marks the message finished for good (delivered, or failed permanently) and frees its chat
   * for the next operator message.
   */
  async complete(options: { timeoutMs?: number } = {}): Promise<void> {
    await this.db.withPendingStats((stats) => this.db.query((sql) => completeStatement(sql, this.id, this.partsDone, stats), options));
  }

  /**
   * Gives the id back after a transient failure, keeping the progress made, so the sender's
   * retry can take it again. The chat stays held by this message: later ones wait for it.
   */
  async release(): Promise<void> {
    const { source, scope, key } = this.id;
    await this.db.withPendingStats((stats) =>
      this.db.query(
        (sql) => sql`
        ${statsCte(sql, stats, 'WITH ')}
        UPDATE delivery_claims SET state = 'released', parts_done = ${this.partsDone}
        WHERE source = ${source} AND scope = ${scope} AND key = ${key} AND state = 'processing'
        RETURNING ${asyncCommit(sql)}`,
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
    const { id, partsDone } = this;
    this.db.deferWrite(`${id.source}/${id.scope}/${id.key}`, (sql) => completeStatement(sql, id, partsDone, []));
    return false;
  }
}

type Sql = Database['sql'];

/**
 * Makes the statement's own transaction commit asynchronously (`synchronous_commit = off` for
 * this transaction only; PostgreSQL applies the value in force at commit). Placed in a RETURNING
 * list so it runs exactly when the statement writes. Why losing such a commit in a database crash
 * can never cause a duplicate the sender would not also cause: see README "Performance".
 */
const asyncCommit = (sql: Sql) => sql.unsafe(`set_config('synchronous_commit', 'off', true)`);

const completeStatement = (sql: Sql, { source, scope, key }: ClaimId, partsDone: number, stats: [string, string, number][]) => sql`
  WITH finished AS (
    UPDATE delivery_claims SET state = 'done', completed_at = now(), parts_done = ${partsDone}
    WHERE source = ${source} AND scope = ${scope} AND key = ${key}
    RETURNING ${asyncCommit(sql)}
  )${statsCte(sql, stats, ', ')}
  UPDATE chat_mapping SET outbound_message_id = NULL, outbound_since = NULL
  WHERE ${source === 'webim_message'} AND visitor_id = ${scope} AND outbound_message_id = ${key}`;

export type ClaimAttempt<Extra extends object = object> =
  | ({ status: 'claimed'; claim: HeldClaim } & Extra)
  /** Delivered (or permanently failed) before: acknowledge with no side effect. */
  | { status: 'done' }
  /** Another invocation is delivering it right now: ask the sender to retry later. */
  | { status: 'in_progress' }
  /** An earlier operator message of the same chat is unfinished: wait so as not to overtake it. */
  | { status: 'chat_busy' }
  /** The callback names a visitor we have no chat for. */
  | { status: 'unknown_visitor' };

/**
 * The claim as a CTE named `taken`: a new id is inserted as `processing`; a `released` id (an
 * earlier transient failure) or a `processing` one whose lease expired (a crashed invocation) is
 * taken over. `taken` has a row only when the id is now ours.
 */
const takenCte = (sql: Sql, key: string, leaseSeconds: number) => sql`
  taken AS (
    INSERT INTO delivery_claims AS c (source, scope, key) VALUES ('telegram_update', '', ${key})
    ON CONFLICT (source, scope, key) DO UPDATE
      SET state = 'processing', claimed_at = now(), attempts = c.attempts + 1
      WHERE c.state = 'released'
         OR (c.state = 'processing' AND c.claimed_at < now() - make_interval(secs => ${leaseSeconds}))
    RETURNING c.parts_done
  )`;

/** When the id was not taken: its current state, read in the same statement. */
const stateOf = (sql: Sql, key: string, extraNulls: number) => sql`
  SELECT state AS outcome, parts_done${sql.unsafe(', NULL'.repeat(extraNulls))} FROM delivery_claims
  WHERE source = 'telegram_update' AND scope = '' AND key = ${key} AND NOT EXISTS (SELECT 1 FROM taken)`;

/** A claim outcome other than `claimed`, from the state column (or from a claim decided concurrently). */
function notClaimed(outcome: string | undefined): Exclude<ClaimAttempt, { status: 'claimed' }> {
  if (outcome === 'done' || outcome === 'chat_busy' || outcome === 'unknown_visitor') return { status: outcome };
  return { status: 'in_progress' }; // processing, released under a live lease, or a concurrent claimer committed after our snapshot
}

const updateClaimId = (updateId: string): ClaimId => ({ source: 'telegram_update', scope: '', key: updateId });

/** Atomically claims a Telegram update that needs no chat mapping (see `takenCte`). One round trip. */
export async function claimUpdate(db: Database, updateId: string, leaseSeconds: number): Promise<ClaimAttempt> {
  await db.flushDeferredWrites();
  const rows = await db.withPendingStats((stats) => db.query(
    (sql) => sql<{ outcome: string; parts_done: number }[]>`
      WITH ${takenCte(sql, updateId, leaseSeconds)}${statsCte(sql, stats, ', ')}
      SELECT 'claimed' AS outcome, parts_done, ${asyncCommit(sql)} AS commit_mode FROM taken
      UNION ALL ${stateOf(sql, updateId, 1)}`,
  ));
  const row = rows[0];
  if (row?.outcome !== 'claimed') return notClaimed(row?.outcome);
  return { status: 'claimed', claim: new HeldClaim(db, updateClaimId(updateId), row.parts_done) };
}

/**
 * Claims a Telegram update and, only if it is now ours, creates or refreshes the chat's mapping
 * (clearing the blocked flag: the user wrote) — one round trip instead of two. Concurrent first
 * messages of one chat still yield one mapping row.
 */
export async function claimUpdateForChat(
  db: Database,
  updateId: string,
  chatId: number,
  leaseSeconds: number,
): Promise<ClaimAttempt<{ mapping: { visitorId: string; created: boolean } }>> {
  await db.flushDeferredWrites();
  const rows = await db.withPendingStats((stats) => db.query(
    (sql) => sql<{ outcome: string; parts_done: number; visitor_id: string | null; created: boolean | null }[]>`
      WITH ${takenCte(sql, updateId, leaseSeconds)}${statsCte(sql, stats, ', ')},
      mapped AS (
        -- Writes the mapping only when it is new or the user had blocked the bot: an unchanged
        -- row is read, not rewritten, on every message.
        INSERT INTO chat_mapping (chat_id) SELECT ${chatId} WHERE EXISTS (SELECT 1 FROM taken)
        ON CONFLICT (chat_id) DO UPDATE SET blocked = false, blocked_at = NULL, updated_at = now()
          WHERE chat_mapping.blocked
        RETURNING visitor_id, (xmax = 0) AS created
      ),
      known AS (
        SELECT visitor_id, false AS created FROM chat_mapping
        WHERE chat_id = ${chatId} AND EXISTS (SELECT 1 FROM taken) AND NOT EXISTS (SELECT 1 FROM mapped)
      ),
      mapping AS (SELECT * FROM mapped UNION ALL SELECT * FROM known)
      SELECT 'claimed' AS outcome, t.parts_done, m.visitor_id, m.created,
        -- A chat's first mapping is committed durably (its visitor id must never change);
        -- every later claim asynchronously.
        set_config('synchronous_commit', CASE WHEN m.created THEN 'on' ELSE 'off' END, true) AS commit_mode
      FROM taken t LEFT JOIN mapping m ON true
      UNION ALL ${stateOf(sql, updateId, 3)}`,
  ));
  const row = rows[0];
  if (row?.outcome !== 'claimed') return notClaimed(row?.outcome);
  // The mapping was created by a concurrent first message after this statement's snapshot:
  // read it now (only that race costs a second round trip).
  const visitorId = row.visitor_id ?? (await db.query((sql) => sql<{ visitor_id: string }[]>`SELECT visitor_id FROM chat_mapping WHERE chat_id = ${chatId}`))[0]?.visitor_id;
  if (!visitorId) throw new Error('claimed update has no chat mapping');
  return {
    status: 'claimed',
    claim: new HeldClaim(db, updateClaimId(updateId), row.parts_done),
    mapping: { visitorId, created: row.created === true },
  };
}

/**
 * Claims an operator message of a visitor and reads the visitor's chat in one round trip
 * (the `claim_operator_message` function of migration 002). Refuses while an earlier message of
 * the same chat is unfinished, unless that one has held the chat for `holdSeconds` already.
 */
export async function claimOperatorMessage(
  db: Database,
  visitorId: string,
  messageId: string,
  options: { leaseSeconds: number; holdSeconds: number },
): Promise<ClaimAttempt<{ chat: { chatId: number; blocked: boolean } }>> {
  await db.flushDeferredWrites();
  const [row] = await db.query(
    (sql) => sql<{ claim_outcome: string; claim_parts_done: number; claim_chat_id: string | null; claim_blocked: boolean | null }[]>`
      SELECT * FROM claim_operator_message(${visitorId}, ${messageId}, ${options.leaseSeconds}, ${options.holdSeconds})`,
  );
  if (row?.claim_outcome !== 'claimed' || row.claim_chat_id == null) return notClaimed(row?.claim_outcome);
  return {
    status: 'claimed',
    claim: new HeldClaim(db, { source: 'webim_message', scope: visitorId, key: messageId }, row.claim_parts_done),
    chat: { chatId: Number(row.claim_chat_id), blocked: row.claim_blocked === true },
  };
}

/** Deletes claims older than the retention window. Returns how many were removed. */
export async function purgeExpiredClaims(db: Database, retentionHours: number): Promise<number> {
  const rows = await db.query(
    (sql) => sql`
      DELETE FROM delivery_claims
      WHERE created_at < now() - make_interval(hours => ${retentionHours})
      RETURNING 1`,
  );
  return rows.length;
}
