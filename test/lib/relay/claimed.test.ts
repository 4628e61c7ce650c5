import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryFailure } from '../../../lib/core/failure';
import type { Database } from '../../../lib/db/database';
import { claimUpdate } from '../../../lib/db/delivery-claims';
import { createLogger } from '../../../lib/log';
import { runClaimed } from '../../../lib/relay/claimed';
import { databaseEngines, openTestDatabase } from '../../support/databases';

/** The exactly-once core on its own, with a real database: how each kind of failure settles the claim. */
describe.each(databaseEngines())('runClaimed on $name', (engine) => {
  let close: () => Promise<void>;
  let db: Database;
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ sink: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) });
  const claimDeps = {
    get db() {
      return db;
    },
    direction: 'telegram_to_webim' as const,
  };
  const stateOf = async (key: string) =>
    (await db.sql<{ state: string }[]>`SELECT state FROM delivery_claims WHERE key = ${key}`)[0]?.state;

  beforeAll(async () => {
    ({ db, close } = await openTestDatabase(engine));
  });
  afterAll(() => close());

  it('an error nobody classified (a bug, an input the code cannot read) is permanent: completed, logged, acknowledged', async () => {
    const outcome = await runClaimed(
      claimDeps,
      log,
      {},
      () => claimUpdate(db, 'bug-1', 60),
      async () => {
        throw new TypeError("Cannot read properties of undefined (reading 'latitude')");
      },
    );
    expect(outcome).toEqual({ status: 'done', result: 'failed_permanent', failure: { upstream: 'bridge', reason: 'internal_error' } });
    expect(await stateOf('bug-1')).toBe('done');
    expect(lines.at(-1)).toMatchObject({
      event: 'message_not_delivered',
      reason: 'internal_error',
      error_class: 'permanent',
      error_name: 'TypeError',
    });
  });

  it('a database refusal of the claim itself is permanent, a passing outage is transient', async () => {
    const refused = await runClaimed(
      claimDeps,
      log,
      {},
      async () => db.query((sql) => sql`SELECT 1/0`).then(() => ({ status: 'done' as const })),
      async () => 'relayed',
    );
    expect(refused).toEqual({
      status: 'done',
      result: 'failed_permanent',
      failure: { upstream: 'database', reason: 'database_data_refused_22012' },
    });
    const outage = await runClaimed(
      claimDeps,
      log,
      {},
      async () => {
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
      },
      async () => 'relayed',
    );
    expect(outage).toMatchObject({ status: 'retry', reason: 'database_econnrefused' });
  });

  it('transient and configuration failures release the claim; permanent and blocked complete it', async () => {
    const cases = [
      ['t-1', new DeliveryFailure('transient', 'webim', 'webim_503'), 'released'],
      ['c-1', new DeliveryFailure('configuration', 'webim', 'webim_token_rejected_401'), 'released'],
      ['p-1', new DeliveryFailure('permanent', 'telegram', 'chat_not_found'), 'done'],
      ['b-1', new DeliveryFailure('blocked', 'telegram', 'blocked_by_user'), 'done'],
    ] as const;
    for (const [key, failure, state] of cases) {
      await runClaimed(
        claimDeps,
        log,
        {},
        () => claimUpdate(db, key, 60),
        async () => {
          throw failure;
        },
      );
      expect(await stateOf(key)).toBe(state);
    }
  });
});
