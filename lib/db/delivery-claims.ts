import type { Database } from './database';

export type ClaimSource = 'telegram_update' | 'webim_message';

export type ClaimResult =
  /** Ours to deliver; `partsDone` Telegram messages of it were already sent by an earlier attempt. */
  | { status: 'claimed'; partsDone: number }
  /** Delivered (or permanently failed) before: acknowledge with no side effect. */
  | { status: 'done' }
  /** Another invocation is delivering it right now: ask the sender to retry later. */
  | { status: 'in_progress' };

/**
 * Atomically claims an id for delivery. A new id is inserted as `processing`; a `released` id
 * (an earlier transient failure) or a `processing` one whose lease expired (a crashed
 * invocation) is taken over. Anything else reports its current state. One round trip.
 */
export async function claimDelivery(db: Database, source: ClaimSource, key: string, leaseSeconds: number): Promise<ClaimResult> {
  const rows = await db.query(
    (sql) => sql<{ outcome: string; parts_done: number }[]>`
      WITH taken AS (
        INSERT INTO delivery_claims AS c (source, key) VALUES (${source}, ${key})
        ON CONFLICT (source, key) DO UPDATE
          SET state = 'processing', claimed_at = now(), attempts = c.attempts + 1
          WHERE c.state = 'released'
             OR (c.state = 'processing' AND c.claimed_at < now() - make_interval(secs => ${leaseSeconds}))
        RETURNING c.parts_done
      )
      SELECT 'claimed' AS outcome, parts_done FROM taken
      UNION ALL
      SELECT state, parts_done FROM delivery_claims
      WHERE source = ${source} AND key = ${key} AND NOT EXISTS (SELECT 1 FROM taken)`,
  );
  const row = rows[0];
  if (!row) return { status: 'in_progress' }; // a concurrent claimer committed after our snapshot
  if (row.outcome === 'claimed') return { status: 'claimed', partsDone: row.parts_done };
  if (row.outcome === 'done') return { status: 'done' };
  return { status: 'in_progress' };
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
