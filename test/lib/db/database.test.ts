import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChatByVisitor, setChatBlocked } from '../../../lib/db/chat-mapping';
import { Database } from '../../../lib/db/database';
import {
  claimCallbackForVisitor,
  claimDelivery,
  claimUpdateForChat,
  completeDelivery,
  purgeExpiredClaims,
  recordPartsDone,
  releaseDelivery,
} from '../../../lib/db/delivery-claims';
import { migrate, readMigrations } from '../../../lib/db/migrate';
import { readSettingsTable } from '../../../lib/db/settings-table';
import { databaseEngines, type TestDatabase } from '../../support/databases';

let nextUpdate = 1;
/** Maps a chat the way the relay does: by claiming a (new) update of it. */
async function mapChat(db: Database, chatId: number) {
  const { mapping } = await claimUpdateForChat(db, `map-${nextUpdate++}`, chatId, 60);
  if (!mapping) throw new Error('no mapping');
  return mapping;
}

describe.each(databaseEngines())('database on $name', (engine) => {
  let testDb: TestDatabase;
  let db: Database;
  let queries = 0;
  beforeAll(async () => {
    testDb = await engine.create();
    db = new Database({ url: testDb.url, max: testDb.poolMax, onQuery: () => queries++ });
  });
  afterAll(async () => {
    await db.close();
    await testDb.drop();
  });

  it('applies each migration once, recorded, also when run concurrently', async () => {
    const migrations = await readMigrations();
    expect(migrations.map((m) => m.version)).toContain('001_initial');
    const runs = await Promise.all([migrate(db, migrations), migrate(db, migrations)]);
    expect(runs.flat()).toEqual(migrations.map((m) => m.version));
    expect(await migrate(db, migrations)).toEqual([]);
    const rows = await db.sql`SELECT version FROM schema_migrations ORDER BY version`;
    expect(rows.map((r) => r.version)).toEqual(migrations.map((m) => m.version));
  });

  it('rolls back a failing migration as a whole', async () => {
    await expect(migrate(db, [{ version: '999_broken', sql: 'CREATE TABLE half_done (id int); SELECT no_such_function();' }])).rejects.toThrow();
    const [t] = await db.sql`SELECT to_regclass('half_done') AS t`;
    expect(t?.t).toBeNull();
    expect(await db.sql`SELECT 1 FROM schema_migrations WHERE version = '999_broken'`).toHaveLength(0);
  });

  it('maps a chat to a random visitor once, in one round trip', async () => {
    queries = 0;
    const first = await mapChat(db, 42);
    expect(queries).toBe(1);
    const again = await mapChat(db, 42);
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ created: false, visitorId: first.visitorId });
    expect(first.visitorId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await findChatByVisitor(db, first.visitorId)).toEqual({ chatId: 42, visitorId: first.visitorId, blocked: false });
    expect(await findChatByVisitor(db, 'nobody')).toBeUndefined();
  });

  it('keeps one row and one visitor under 50 concurrent upserts', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, () => mapChat(db, 4242)));
    expect(new Set(results.map((r) => r.visitorId)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const [n] = await db.sql`SELECT count(*)::int AS n FROM chat_mapping WHERE chat_id = 4242`;
    expect(n?.n).toBe(1);
  });

  it('stores Telegram chat ids beyond 32 bits and negative ids', async () => {
    const big = -1001987654321;
    const m = await mapChat(db, big);
    expect((await findChatByVisitor(db, m.visitorId))?.chatId).toBe(big);
  });

  it('records blocking, and a new message clears it', async () => {
    expect(await setChatBlocked(db, 42, true)).toBe(true);
    expect((await findChatByVisitor(db, (await db.sql`SELECT visitor_id FROM chat_mapping WHERE chat_id = 42`)[0]?.visitor_id))?.blocked).toBe(true);
    expect(await setChatBlocked(db, 999_999, true)).toBe(false);
    await mapChat(db, 42);
    const [row] = await db.sql`SELECT blocked, blocked_at FROM chat_mapping WHERE chat_id = 42`;
    expect(row).toEqual({ blocked: false, blocked_at: null });
  });

  it('claims: new → claimed, then in progress, released → claimable, done → duplicate', async () => {
    expect(await claimDelivery(db, 'telegram_update', '1', 60)).toEqual({ status: 'claimed', partsDone: 0 });
    expect(await claimDelivery(db, 'telegram_update', '1', 60)).toEqual({ status: 'in_progress' });
    expect(await claimDelivery(db, 'webim_message', '1', 60)).toEqual({ status: 'claimed', partsDone: 0 }); // sources are separate
    await recordPartsDone(db, 'telegram_update', '1', 2);
    await releaseDelivery(db, 'telegram_update', '1');
    expect(await claimDelivery(db, 'telegram_update', '1', 60)).toEqual({ status: 'claimed', partsDone: 2 });
    await completeDelivery(db, 'telegram_update', '1');
    await releaseDelivery(db, 'telegram_update', '1'); // no effect on a completed claim
    expect(await claimDelivery(db, 'telegram_update', '1', 60)).toEqual({ status: 'done' });
    const [row] = await db.sql`SELECT attempts, state FROM delivery_claims WHERE source = 'telegram_update' AND key = '1'`;
    expect(row).toEqual({ attempts: 2, state: 'done' });
  });

  it('claims an update and maps its chat in one round trip; a duplicate touches no mapping', async () => {
    queries = 0;
    const first = await claimUpdateForChat(db, 'u-500', 500, 60);
    expect(queries).toBe(1);
    expect(first.claim).toEqual({ status: 'claimed', partsDone: 0 });
    expect(first.mapping?.created).toBe(true);
    await completeDelivery(db, 'telegram_update', 'u-500');
    await setChatBlocked(db, 500, true);
    const duplicate = await claimUpdateForChat(db, 'u-500', 500, 60);
    expect(duplicate).toEqual({ claim: { status: 'done' } });
    const [row] = await db.sql`SELECT blocked FROM chat_mapping WHERE chat_id = 500`;
    expect(row?.blocked).toBe(true); // an old redelivery must not unblock
    const next = await claimUpdateForChat(db, 'u-501', 500, 60);
    expect(next.mapping).toEqual({ visitorId: first.mapping?.visitorId, created: false });
    const [after] = await db.sql`SELECT blocked FROM chat_mapping WHERE chat_id = 500`;
    expect(after?.blocked).toBe(false); // a new message does
  });

  it('concurrent first updates of one chat: every claim wins, one mapping', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => claimUpdateForChat(db, `c-${i}`, 9090, 60)));
    expect(results.every((r) => r.claim.status === 'claimed')).toBe(true);
    expect(new Set(results.map((r) => r.mapping?.visitorId)).size).toBe(1);
    expect(results.filter((r) => r.mapping?.created)).toHaveLength(1);
  });

  it('claims a Webim message and reads the visitor chat in one round trip', async () => {
    const { visitorId } = await mapChat(db, 600);
    queries = 0;
    expect(await claimCallbackForVisitor(db, 'w-1', visitorId, 60)).toEqual({ claim: { status: 'claimed', partsDone: 0 }, chat: { chatId: 600, blocked: false } });
    expect(queries).toBe(1);
    expect(await claimCallbackForVisitor(db, 'w-1', visitorId, 60)).toEqual({ claim: { status: 'in_progress' } });
    expect(await claimCallbackForVisitor(db, 'w-2', 'no-such-visitor', 60)).toEqual({ claim: { status: 'claimed', partsDone: 0 } });
  });

  it('exactly one of many concurrent claimers wins', async () => {
    const results = await Promise.all(Array.from({ length: 30 }, () => claimDelivery(db, 'webim_message', 'race', 60)));
    expect(results.filter((r) => r.status === 'claimed')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'in_progress')).toHaveLength(29);
  });

  it('purges claims past the retention window only', async () => {
    await db.sql`INSERT INTO delivery_claims (source, key, state, created_at) VALUES ('telegram_update', 'old', 'done', now() - interval '49 hours'), ('telegram_update', 'young', 'done', now() - interval '23 hours')`;
    expect(await purgeExpiredClaims(db, 48)).toBe(1);
    const keys = (await db.sql`SELECT key FROM delivery_claims WHERE key IN ('old', 'young')`).map((r) => r.key);
    expect(keys).toEqual(['young']);
  });

  it.runIf(engine.name === 'PostgreSQL server')('survives the server dropping its connection', async () => {
    let roundTrips = 0;
    const lambdaDb = new Database({ url: testDb.url, max: 1, onQuery: () => roundTrips++ });
    const [{ pid }] = (await lambdaDb.sql`SELECT pg_backend_pid() AS pid`) as unknown as [{ pid: number }];
    const admin = new Database({ url: testDb.url, max: 1 });
    await admin.sql`SELECT pg_terminate_backend(${pid})`;
    await admin.close();
    const mapping = await mapChat(lambdaDb, 77);
    expect(mapping.created).toBe(true);
    expect(roundTrips).toBeGreaterThanOrEqual(1);
    await lambdaDb.close();
  });

  it('retries a statement once on a dead-connection error, and never other errors', async () => {
    let attempts = 0;
    const flaky = await db.query(async (sql) => {
      if (++attempts === 1) throw Object.assign(new Error('write CONNECTION_CLOSED'), { code: 'CONNECTION_CLOSED' });
      return sql`SELECT 1 AS one`;
    });
    expect(flaky[0]?.one).toBe(1);
    expect(attempts).toBe(2);
    let failures = 0;
    const dead = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    await expect(db.query(async () => { failures++; throw dead(); })).rejects.toThrow('ECONNRESET');
    expect(failures).toBe(2); // once, then given up
    let syntax = 0;
    await expect(db.query(async (sql) => { syntax++; return sql`SELEC 1`; })).rejects.toThrow();
    expect(syntax).toBe(1);
  });

  it('reads the settings table, skipping empty values', async () => {
    await db.sql`INSERT INTO settings (key, value) VALUES ('WELCOME_TEXT', 'Hi'), ('PORT', '')`;
    expect(await readSettingsTable(db)).toEqual({ WELCOME_TEXT: 'Hi' });
  });
});
