import { describe, expect, it } from 'vitest';
import { Database } from '../../../lib/db/database';
import { type ClaimAttempt, claimOperatorMessage, claimUpdateForChat } from '../../../lib/db/delivery-claims';
import { readStats } from '../../../lib/db/delivery-stats';
import { migrate, readMigrations } from '../../../lib/db/migrate';
import { usesPreparedStatements } from '../../../lib/settings/database-connection';
import { databaseEngines } from '../../support/databases';

function held<T extends object>(attempt: ClaimAttempt<T>) {
  if (attempt.status !== 'claimed') throw new Error(`expected a claim, got ${attempt.status}`);
  return attempt;
}

describe('prepared statements setting', () => {
  it('auto uses them, except behind an RDS Proxy endpoint; on and off are obeyed', () => {
    expect(usesPreparedStatements('postgres://u:p@mydb.abc123.eu-central-1.rds.amazonaws.com:5432/bridge')).toBe(true);
    expect(usesPreparedStatements('postgres://u:p@bridge.proxy-abc123xyz.eu-central-1.rds.amazonaws.com:5432/bridge')).toBe(false);
    expect(usesPreparedStatements('postgres://u:p@127.0.0.1:6432/bridge', 'auto')).toBe(true);
    expect(usesPreparedStatements('postgres://u:p@bridge.proxy-abc123xyz.eu-central-1.rds.amazonaws.com/bridge', 'on')).toBe(true);
    expect(usesPreparedStatements('postgres://u:p@127.0.0.1/bridge', 'off')).toBe(false);
  });
});

describe.each(databaseEngines())('the per-message path on $name', (engine) => {
  it.each([
    ['with prepared statements', true],
    ['without them (RDS Proxy, PgBouncer in transaction mode)', false],
  ])('works the same %s, and survives a migration under a warm connection', async (_, prepare) => {
    const testDb = await engine.create();
    const db = new Database({ url: testDb.url, max: 1, prepare });
    try {
      await migrate(db, await readMigrations());
      for (let round = 0; round < 2; round++) {
        const update = held(await claimUpdateForChat(db, `p-${round}`, 777, 60));
        expect(update.mapping.created).toBe(round === 0);
        db.countOutcome('telegram_to_webim', 'relayed');
        await update.claim.complete();
        expect(await claimUpdateForChat(db, `p-${round}`, 777, 60)).toEqual({ status: 'done' });

        const reply = held(await claimOperatorMessage(db, update.mapping.visitorId, `r-${round}`, { leaseSeconds: 60, holdSeconds: 600 }));
        expect(reply.chat.chatId).toBe(777);
        await reply.claim.release();
        const retried = held(
          await claimOperatorMessage(db, update.mapping.visitorId, `r-${round}`, { leaseSeconds: 60, holdSeconds: 600 }),
        );
        await retried.claim.complete();

        // A deploy migrates while warm containers keep their connections (and cached plans).
        if (round === 0)
          await db.sql.unsafe(
            'ALTER TABLE delivery_claims ADD COLUMN later_column text; ALTER TABLE chat_mapping ADD COLUMN later_column text',
          );
      }
      const stats = await readStats(db, new Date(Date.now() - 3_600_000));
      expect(stats.reduce((n, r) => n + r.count, 0)).toBe(2);
      const [row] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_prepared_statements`;
      const n = row?.n ?? -1;
      if (prepare) expect(n).toBeGreaterThan(0);
      else expect(n).toBe(0);
    } finally {
      await db.close();
      await testDb.drop();
    }
  });
});
