import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../lib/db/database';
import { purgeExpiredClaims } from '../../../lib/db/delivery-claims';
import { databaseEngines, openTestDatabase } from '../../support/databases';

describe.each(databaseEngines())('purging expired claims on $name', (engine) => {
  let close: () => Promise<void>;
  let db: Database;
  let statements = 0;
  beforeAll(async () => {
    // The statement timeout a stage might run with: one DELETE of the whole backlog cannot finish in it.
    ({ db, close } = await openTestDatabase(engine, { statementTimeoutMs: 1_000, onQuery: () => statements++ }));
  }, 120_000);
  afterAll(() => close());

  it('a backlog of 200 000 expired claims drains in bounded batches under a 1 s statement timeout; younger ones stay', async () => {
    await db.sql`
      INSERT INTO delivery_claims (source, scope, key, state, created_at)
      SELECT 'telegram_update', '', 'old-' || g, 'done', now() - interval '49 hours' FROM generate_series(1, 200000) g`;
    await db.sql`INSERT INTO delivery_claims (source, key, state, created_at) VALUES ('telegram_update', 'young', 'done', now() - interval '1 hour')`;
    const before = statements;
    const result = await purgeExpiredClaims(db, 48);
    expect(result).toEqual({ purged: 200_000, drained: true });
    // Each statement deleted at most one batch (5 000 rows): 40 full ones and the one that found the rest empty.
    expect(statements - before).toBe(41);
    const [left] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM delivery_claims`;
    expect(left?.n).toBe(1);
  }, 120_000);

  it('stops when the invocation runs out of time and says so; the next run goes on', async () => {
    await db.sql`
      INSERT INTO delivery_claims (source, scope, key, state, created_at)
      SELECT 'webim_message', 'v', 'late-' || g, 'done', now() - interval '49 hours' FROM generate_series(1, 12000) g`;
    let calls = 0;
    const first = await purgeExpiredClaims(db, 48, { batchRows: 5_000, timeLeftMs: () => (++calls === 1 ? 0 : 60_000) });
    expect(first).toEqual({ purged: 5_000, drained: false });
    expect(await purgeExpiredClaims(db, 48, { batchRows: 5_000 })).toEqual({ purged: 7_000, drained: true });
  });
});
