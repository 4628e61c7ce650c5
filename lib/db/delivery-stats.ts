import type { Direction, StatIncrement, StatOutcome } from '../core/words';
import type { Database } from './database';

export type { Direction, StatIncrement, StatOutcome } from '../core/words';
export { STAT_OUTCOMES } from '../core/words';

type Sql = Database['sql'];

/**
 * The `p_counts` argument of the per-message functions of migration 004, which pass it to
 * `add_delivery_stats`: statistics ride on a statement the relay runs anyway and cost no round
 * trip of their own. JSON, not arrays: array parameters would make the driver read the catalogue
 * for array types on every new connection (a round trip on each cold start).
 */
export function statsArgs(sql: Sql, increments: StatIncrement[]) {
  return sql`${sql.json(increments.map(([d, o, n]) => ({ d, o, n })))}::jsonb`;
}

/** Writes the counted-but-unwritten outcomes now (housekeeping, readers, or when they wait too long). */
export async function flushStats(db: Database): Promise<void> {
  await db.withPendingStats(async (increments) => {
    if (!increments.length) return;
    await db.query((sql) => sql`SELECT add_delivery_stats(${statsArgs(sql, increments)})`);
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
  const rows = await db.query(
    (sql) => sql`DELETE FROM delivery_stats WHERE hour < now() - make_interval(days => ${retentionDays}) RETURNING 1`,
  );
  return rows.length;
}
