import type { Database } from './database';

export type ClaimSource = 'telegram_update' | 'webim_message';

export type ClaimResult =
  /** Ours to deliver; `partsDone` Telegram messages of it were already sent by an earlier attempt. */
  | { status: 'claimed'; partsDone: number }
  /** Delivered (or permanently failed) before: acknowledge with no side effect. */
  | { status: 'done' }
  /** Another invocation is delivering it right now: ask the sender to retry later. */
  | { status: 'in_progress' };

type Sql = Database['sql'];

/**
 * The claim as a CTE named `taken`: a new id is inserted as `processing`; a `released` id (an
 * earlier transient failure) or a `processing` one whose lease expired (a crashed invocation) is
 * taken over. `taken` has a row only when the id is now ours.
 */
const takenCte = (sql: Sql, source: ClaimSource, key: string, leaseSeconds: number) => sql`
  taken AS (
    INSERT INTO delivery_claims AS c (source, key) VALUES (${source}, ${key})
    ON CONFLICT (source, key) DO UPDATE
      SET state = 'processing', claimed_at = now(), attempts = c.attempts + 1
      WHERE c.state = 'released'
         OR (c.state = 'processing' AND c.claimed_at < now() - make_interval(secs => ${leaseSeconds}))
    RETURNING c.parts_done
  )`;

/** When the id was not taken: its current state, read in the same statement. */
const stateOf = (sql: Sql, source: ClaimSource, key: string, extraNulls: number) => sql`
  SELECT state AS outcome, parts_done${sql.unsafe(', NULL'.repeat(extraNulls))} FROM delivery_claims
  WHERE source = ${source} AND key = ${key} AND NOT EXISTS (SELECT 1 FROM taken)`;

function claimResultOf(row: { outcome: string; parts_done: number } | undefined): ClaimResult {
  if (!row) return { status: 'in_progress' }; // a concurrent claimer committed after our snapshot
  if (row.outcome === 'claimed') return { status: 'claimed', partsDone: row.parts_done };
  if (row.outcome === 'done') return { status: 'done' };
  return { status: 'in_progress' };
}

/** Atomically claims an id for delivery (see `takenCte`). One round trip. */
export async function claimDelivery(db: Database, source: ClaimSource, key: string, leaseSeconds: number): Promise<ClaimResult> {
  const rows = await db.query(
    (sql) => sql<{ outcome: string; parts_done: number }[]>`
      WITH ${takenCte(sql, source, key, leaseSeconds)}
      SELECT 'claimed' AS outcome, parts_done FROM taken
      UNION ALL ${stateOf(sql, source, key, 0)}`,
  );
  return claimResultOf(rows[0]);
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
): Promise<{ claim: ClaimResult; mapping?: { visitorId: string; created: boolean } }> {
  const rows = await db.query(
    (sql) => sql<{ outcome: string; parts_done: number; visitor_id: string | null; created: boolean | null }[]>`
      WITH ${takenCte(sql, 'telegram_update', updateId, leaseSeconds)},
      mapped AS (
        INSERT INTO chat_mapping (chat_id) SELECT ${chatId} WHERE EXISTS (SELECT 1 FROM taken)
        ON CONFLICT (chat_id) DO UPDATE SET blocked = false, blocked_at = NULL, updated_at = now()
        RETURNING visitor_id, (xmax = 0) AS created
      )
      SELECT 'claimed' AS outcome, t.parts_done, m.visitor_id, m.created FROM taken t LEFT JOIN mapped m ON true
      UNION ALL ${stateOf(sql, 'telegram_update', updateId, 2)}`,
  );
  const row = rows[0];
  const claim = claimResultOf(row);
  if (claim.status !== 'claimed') return { claim };
  if (!row?.visitor_id) throw new Error('claimed update returned no chat mapping');
  return { claim, mapping: { visitorId: row.visitor_id, created: row.created === true } };
}

/**
 * Claims a Webim message and reads the visitor's chat in the same round trip.
 * `chat` is undefined when the visitor is unknown.
 */
export async function claimCallbackForVisitor(
  db: Database,
  messageId: string,
  visitorId: string,
  leaseSeconds: number,
): Promise<{ claim: ClaimResult; chat?: { chatId: number; blocked: boolean } }> {
  const rows = await db.query(
    (sql) => sql<{ outcome: string; parts_done: number; chat_id: string | null; blocked: boolean | null }[]>`
      WITH ${takenCte(sql, 'webim_message', messageId, leaseSeconds)}
      SELECT 'claimed' AS outcome, t.parts_done, m.chat_id, m.blocked
      FROM taken t LEFT JOIN chat_mapping m ON m.visitor_id = ${visitorId}
      UNION ALL ${stateOf(sql, 'webim_message', messageId, 2)}`,
  );
  const row = rows[0];
  const claim = claimResultOf(row);
  if (claim.status !== 'claimed' || row?.chat_id == null) return { claim };
  return { claim, chat: { chatId: Number(row.chat_id), blocked: row.blocked === true } };
}

/** Marks a claimed id as finished for good (delivered, or failed permanently). */
export async function completeDelivery(db: Database, source: ClaimSource, key: string): Promise<void> {
  await db.query(
    (sql) => sql`
      UPDATE delivery_claims SET state = 'done', completed_at = now()
      WHERE source = ${source} AND key = ${key}`,
  );
}

/** Gives a claimed id back after a transient failure so the sender's retry can take it again. */
export async function releaseDelivery(db: Database, source: ClaimSource, key: string): Promise<void> {
  await db.query(
    (sql) => sql`
      UPDATE delivery_claims SET state = 'released'
      WHERE source = ${source} AND key = ${key} AND state = 'processing'`,
  );
}

/** Records how many parts of a split reply have been sent, so a retry resumes after them. */
export async function recordPartsDone(db: Database, source: ClaimSource, key: string, partsDone: number): Promise<void> {
  await db.query(
    (sql) => sql`
      UPDATE delivery_claims SET parts_done = ${partsDone}
      WHERE source = ${source} AND key = ${key}`,
  );
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
