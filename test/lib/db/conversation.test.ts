import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buttonIdOf, callbackDataFor, noteWebimDelay, purgeButtonIds, storeButtonIds } from '../../../lib/db/conversation';
import type { Database } from '../../../lib/db/database';
import { databaseEngines, openTestDatabase } from '../../support/databases';

describe.each(databaseEngines())('conversation state on $name', (engine) => {
  let close: () => Promise<void>;
  let db: Database;
  beforeAll(async () => {
    ({ db, close } = await openTestDatabase(engine));
  });
  afterAll(() => close());

  it('the delay notice is due once per outage, under concurrent failures; a gap starts a new outage', async () => {
    const opts = { afterSeconds: 60, gapSeconds: 600 };
    expect(await noteWebimDelay(db, 1, opts)).toBe(false); // the outage just began
    await db.sql`UPDATE chat_delay_notices SET failing_since = now() - interval '2 minutes' WHERE chat_id = 1`;
    const due = await Promise.all(Array.from({ length: 8 }, () => noteWebimDelay(db, 1, opts)));
    expect(due.filter(Boolean)).toHaveLength(1);
    expect(await noteWebimDelay(db, 1, opts)).toBe(false);
    // No failure for longer than the gap: the next failure starts a new outage, notice not yet due.
    await db.sql`UPDATE chat_delay_notices SET last_failure_at = now() - interval '20 minutes' WHERE chat_id = 1`;
    expect(await noteWebimDelay(db, 1, opts)).toBe(false);
    const [row] = await db.sql<
      { notified: boolean }[]
    >`SELECT notified_at IS NOT NULL AS notified FROM chat_delay_notices WHERE chat_id = 1`;
    expect(row?.notified).toBe(false);
  });

  it('button ids: short ones travel in callback_data, long ones by a token kept in the database (ids only)', async () => {
    expect(callbackDataFor('v-1', 'yes')).toEqual({ data: 'b1:yes' });
    const long = callbackDataFor('v-1', 'é'.repeat(100));
    expect(Buffer.byteLength(long.data)).toBeLessThanOrEqual(64);
    await storeButtonIds(db, [long.stored!]);
    expect(await buttonIdOf(db, 'v-1', long.data)).toBe('é'.repeat(100));
    expect(await buttonIdOf(db, 'another-visitor', long.data)).toBeUndefined();
    expect(await buttonIdOf(db, 'v-1', 'b1:yes')).toBe('yes');
    expect(await buttonIdOf(db, 'v-1', 'rate:5')).toBeUndefined();
    await db.sql`UPDATE keyboard_buttons SET created_at = now() - interval '100 hours'`;
    expect(await purgeButtonIds(db, 48)).toBe(1);
  });
});
