import type { Database } from './database';
import { type ClaimAttempt, HeldClaim } from './delivery-claims';
import { statsArgs } from './delivery-stats';

/**
 * What the user feels reaches the desk, in the database (migration 010): which Webim reply a
 * Telegram message delivered (recorded by the claim's completion, see HeldClaim.noteDelivered),
 * the one press that counts per rating prompt, and ratings counted per day. Ids and numbers only.
 */

/** The reply a reacted-to message delivered; absent when the bridge did not deliver that message. */
export interface ReactedReply {
  visitorId: string;
  webimMessageId: string;
}

/**
 * Claims a `message_reaction` update and, when it is now ours, finds the Webim reply the
 * reacted-to Telegram message delivered — one round trip (`claim_reaction_update`). No chat
 * mapping is made for a stranger's reaction. Pending outcome counts ride along.
 */
export async function claimReactionUpdate(
  db: Database,
  updateId: string,
  chatId: number,
  messageId: number,
  leaseSeconds: number,
): Promise<ClaimAttempt<{ reply?: ReactedReply }>> {
  await db.flushDeferredWrites();
  const [row] = await db.withPendingStats((stats) =>
    db.query(
      (sql) =>
        sql<
          { claim_outcome: string; claim_parts_done: number; claim_visitor_id: string | null; claim_webim_message_id: string | null }[]
        >`SELECT * FROM claim_reaction_update(${updateId}, ${chatId}::bigint, ${messageId}::bigint, ${leaseSeconds}::int, ${statsArgs(sql, stats)})`,
    ),
  );
  if (row?.claim_outcome === 'done') return { status: 'done' };
  if (row?.claim_outcome !== 'claimed') return { status: 'in_progress' };
  const claim = new HeldClaim(db, { source: 'telegram_update', scope: '', key: updateId }, row.claim_parts_done);
  return row.claim_visitor_id && row.claim_webim_message_id
    ? { status: 'claimed', claim, reply: { visitorId: row.claim_visitor_id, webimMessageId: row.claim_webim_message_id } }
    : { status: 'claimed', claim };
}

/**
 * Records a press of a rating prompt (the chat's Telegram message `promptMessageId`) in one atomic
 * statement: the first press of a prompt wins and is counted once in the daily rating counts.
 * `won` is true for the winning press and for its redeliveries (the same update id), which go on
 * to tell Webim (under a stable id, so a repeat is dropped there) — false for any other press,
 * which changes nothing.
 */
export async function recordRating(
  db: Database,
  chatId: number,
  promptMessageId: number,
  updateId: string,
  score: number,
): Promise<{ won: boolean; counted: boolean }> {
  const [row] = await db.query(
    (sql) => sql<{ rating_update: string | null; rating_counted: boolean }[]>`
      SELECT * FROM record_rating(${chatId}::bigint, ${promptMessageId}::bigint, ${updateId}, ${score}::smallint)`,
  );
  return { won: row?.rating_update === updateId, counted: row?.rating_counted === true };
}

export interface RatingStatsRow {
  /** The UTC day, `YYYY-MM-DD`. */
  day: string;
  score: number;
  count: number;
}

/** Ratings counted per UTC day and score since `since` (its day included). */
export async function readRatingStats(db: Database, since: Date): Promise<RatingStatsRow[]> {
  const rows = await db.query(
    (sql) => sql<{ day: string; score: number; count: string }[]>`
      SELECT to_char(day, 'YYYY-MM-DD') AS day, score, count::text AS count FROM rating_stats
      WHERE day >= (${since}::timestamptz AT TIME ZONE 'UTC')::date ORDER BY day, score`,
  );
  return rows.map((r) => ({ day: r.day, score: Number(r.score), count: Number(r.count) }));
}

/** Deletes daily rating counts older than the retention window (with the delivery statistics). */
export async function purgeRatingStats(db: Database, retentionDays: number): Promise<number> {
  const result = await db.query(
    (sql) => sql`DELETE FROM rating_stats WHERE day < (now() AT TIME ZONE 'UTC')::date - ${retentionDays}::int`,
  );
  return result.count;
}
