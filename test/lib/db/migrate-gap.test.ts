import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../lib/db/database';
import { migrate, missingMigrations, REQUIRED_MIGRATIONS, readMigrations } from '../../../lib/db/migrate';
import { databaseEngines, openTestDatabase } from '../../support/databases';

/**
 * Migration numbers are reserved per branch, so a release may ship 010 before 007–009 exist, and a
 * later one ship those: the runner applies every version it has not recorded, whatever its number
 * next to the ones applied.
 */
describe.each(databaseEngines())('migrations with a gap on $name', (engine) => {
  let close: () => Promise<void>;
  let db: Database;
  beforeAll(async () => {
    ({ db, close } = await openTestDatabase(engine, { migrated: false }));
  });
  afterAll(() => close());

  it('applies 010 over 006 with 007–009 missing, then a later 008 that fills the gap, each once', async () => {
    const shipped = await readMigrations();
    expect(shipped.map((m) => m.version)).toContain('010_ratings_and_reactions');
    expect(await migrate(db, shipped)).toEqual(shipped.map((m) => m.version));
    expect(await missingMigrations(db)).toEqual([]);

    const filler = { version: '008_filled_later', sql: 'CREATE TABLE filled_later (id int)' };
    const later = [...shipped, filler].sort((a, b) => a.version.localeCompare(b.version));
    expect(await migrate(db, later)).toEqual(['008_filled_later']);
    expect(await migrate(db, later)).toEqual([]);
    expect(await missingMigrations(db, [...REQUIRED_MIGRATIONS, '008_filled_later'])).toEqual([]);
  });
});
