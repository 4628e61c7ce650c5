import type { Database } from './database';

export type Direction = 'telegram_to_webim' | 'webim_to_telegram';
export const STAT_OUTCOMES = ['relayed', 'duplicate', 'deferred', 'failed', 'blocked', 'ignored', 'configuration_error'] as const;
export type StatOutcome = (typeof STAT_OUTCOMES)[number];

/** Shards of one hour's counters (see migration 003): concurrent writers rarely meet on one row. */
const SHARDS = 8;

type Sql = Database['sql'];

/**
 * The CTE that adds `increments` to this hour's counters, for a statement the relay runs anyway:
 * statistics cost no round trip of their own. Empty (no CTE at all) when there is nothing to add.
 * `prefix` is ", " when the CTE follows others in the same WITH list, "WITH " when it is the first.
 */
export function statsCte(sql: Sql, increments: [string, string, number][], prefix: ', ' | 'WITH ') {
  if (!increments.length) return sql``;
  const shard = Math.floor(Math.random() * SHARDS);
  return sql`${sql.unsafe(prefix)} counted AS (
    INSERT INTO delivery_stats AS s (hour, direction, outcome, shard, count)
    SELECT date_trunc('hour', now()), d, o, ${shard}, n
    FROM unnest(${increments.map((i) => i[0])}::text[], ${increments.map((i) => i[1])}::text[], ${increments.map((i) => i[2])}::int[]) AS t(d, o, n)
    ON CONFLICT (hour, direction, outcome, shard) DO UPDATE SET count = s.count + excluded.count
    RETURNING 1
  )`;
}

/** Writes the counted-but-unwritten outcomes now (housekeeping, readers, or when they wait too long). */
export async function flushStats(db: Database): Promise<void> {
  await db.withPendingStats(async (increments) => {
    if (!increments.length) return;
    await db.query((sql) => sql`${statsCte(sql, increments, 'WITH ')} SELECT count(*) FROM counted`);
  });
}

export interface StatsRow {
  hour: Date;
  direction: Direction;
  outcome: StatOutcome;
  count: number;
}

/** Counters per hour, direction and outcome since `since` (shards summed). */
export async function readStats(db: Database, since: Date): Promise<StatsRow[]> {
  const rows = await db.query(
    (sql) => sql<{ hour: Date; direction: Direction; outcome: StatOutcome; count: string }[]>`
      SELECT hour, direction, outcome, sum(count)::text AS count FROM delivery_stats
      WHERE hour >= date_trunc('hour', ${since}::timestamptz)
      GROUP BY hour, direction, outcome ORDER BY hour`,
  );
  return rows.map((r) => ({ hour: new Date(r.hour), direction: r.direction, outcome: r.outcome, count: Number(r.count) }));
}

/** Deletes counters older than the retention window. */
export async function purgeStats(db: Database, retentionDays: number): Promise<number> {
  const rows = await db.query((sql) => sql`DELETE FROM delivery_stats WHERE hour < now() - make_interval(days => ${retentionDays}) RETURNING 1`);
  return rows.length;
}
