import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { findChatByVisitor, setChatBlocked } from '../../../lib/db/chat-mapping';
import { Database } from '../../../lib/db/database';
import { claimOperatorMessage, claimUpdate, claimUpdateForChat, HeldClaim, purgeExpiredClaims } from '../../../lib/db/delivery-claims';
import { migrate, readMigrations } from '../../../lib/db/migrate';
import { readSettingsTable } from '../../../lib/settings/settings-table';
import { databaseEngines, type TestDatabase } from '../../support/databases';

let nextUpdate = 1;
/** Maps a chat the way the relay does: by claiming a (new) update of it. */
async function mapChat(db: Database, chatId: number) {
  const attempt = await claimUpdateForChat(db, `map-${nextUpdate++}`, chatId, 60);
  if (attempt.status !== 'claimed') throw new Error(`no mapping: ${attempt.status}`);
  return attempt.mapping;
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
    expect(runs.flat().sort()).toEqual(migrations.map((m) => m.version));
    expect(await migrate(db, migrations)).toEqual([]);
    const rows = await db.sql`SELECT version FROM schema_migrations ORDER BY version`;
    expect(rows.map((r) => r.version as string)).toEqual(migrations.map((m) => m.version));
  });

  it('rolls back a failing migration as a whole', async () => {
    await expect(
      migrate(db, [{ version: '999_broken', sql: 'CREATE TABLE half_done (id int); SELECT no_such_function();' }]),
    ).rejects.toThrow();
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
    expect(await setChatBlocked(db, 42, true)).toMatchObject({ known: true, wasBlocked: false });
    expect(
      (await findChatByVisitor(db, (await db.sql`SELECT visitor_id FROM chat_mapping WHERE chat_id = 42`)[0]?.visitor_id))?.blocked,
    ).toBe(true);
    expect(await setChatBlocked(db, 999_999, true)).toEqual({ known: false });
    await mapChat(db, 42);
    const [row] = await db.sql`SELECT blocked, blocked_at FROM chat_mapping WHERE chat_id = 42`;
    expect(row).toEqual({ blocked: false, blocked_at: null });
  });

  /** The claim held after an attempt, or a failure naming what came back instead. */
  const held = <T extends { status: string }>(attempt: T) => {
    if (attempt.status !== 'claimed') throw new Error(`expected a claim, got ${attempt.status}`);
    return attempt as Extract<T, { status: 'claimed' }>;
  };

  it('claims: new → claimed, then in progress, released → claimable with progress, done → duplicate', async () => {
    const first = held(await claimUpdate(db, '1', 60));
    expect(first.claim.partsDone).toBe(0);
    expect(await claimUpdate(db, '1', 60)).toEqual({ status: 'in_progress' });
    await first.claim.recordParts(1);
    first.claim.partsDone = 2; // progress kept in memory while the database was away
    await first.claim.release();
    const again = held(await claimUpdate(db, '1', 60));
    expect(again.claim.partsDone).toBe(2);
    await again.claim.complete();
    await again.claim.release(); // no effect on a completed claim
    expect(await claimUpdate(db, '1', 60)).toEqual({ status: 'done' });
    const [row] = await db.sql`SELECT attempts, state FROM delivery_claims WHERE source = 'telegram_update' AND key = '1'`;
    expect(row).toEqual({ attempts: 2, state: 'done' });
  });

  it('takes over a processing claim only after its lease', async () => {
    held(await claimUpdate(db, 'lease-1', 60));
    expect(await claimUpdate(db, 'lease-1', 60)).toEqual({ status: 'in_progress' });
    await db.sql`UPDATE delivery_claims SET claimed_at = now() - interval '61 seconds' WHERE key = 'lease-1'`;
    held(await claimUpdate(db, 'lease-1', 60));
  });

  it('claims an update and maps its chat in one round trip; a duplicate touches no mapping', async () => {
    queries = 0;
    const first = held(await claimUpdateForChat(db, 'u-500', 500, 60));
    expect(queries).toBe(1);
    expect(first.claim.partsDone).toBe(0);
    expect(first.mapping.created).toBe(true);
    await first.claim.complete();
    await setChatBlocked(db, 500, true);
    expect(await claimUpdateForChat(db, 'u-500', 500, 60)).toEqual({ status: 'done' });
    const [row] = await db.sql`SELECT blocked FROM chat_mapping WHERE chat_id = 500`;
    expect(row?.blocked).toBe(true); // an old redelivery must not unblock
    const next = held(await claimUpdateForChat(db, 'u-501', 500, 60));
    expect(next.mapping).toEqual({ visitorId: first.mapping.visitorId, created: false });
    const [after] = await db.sql`SELECT blocked FROM chat_mapping WHERE chat_id = 500`;
    expect(after?.blocked).toBe(false); // a new message does
  });

  it("a known chat's message neither writes nor locks its mapping row", async () => {
    held(await claimUpdateForChat(db, 'quiet-1', 505, 60));
    const before = await db.sql`SELECT xmin::text AS xmin, xmax::text AS xmax FROM chat_mapping WHERE chat_id = 505`;
    held(await claimUpdateForChat(db, 'quiet-2', 505, 60));
    const after = await db.sql`SELECT xmin::text AS xmin, xmax::text AS xmax FROM chat_mapping WHERE chat_id = 505`;
    expect(after).toEqual(before);
    expect(after[0]?.xmax).toBe('0');
  });

  it('concurrent first updates of one chat: every claim wins, one mapping', async () => {
    const results = (await Promise.all(Array.from({ length: 50 }, (_, i) => claimUpdateForChat(db, `c-${i}`, 9090, 60)))).map(held);
    expect(new Set(results.map((r) => r.mapping.visitorId)).size).toBe(1);
    expect(results.filter((r) => r.mapping.created)).toHaveLength(1);
  });

  const order = { leaseSeconds: 60, holdSeconds: 600 };

  it('claims an operator message and reads the visitor chat in one round trip', async () => {
    const { visitorId } = await mapChat(db, 600);
    queries = 0;
    const first = held(await claimOperatorMessage(db, visitorId, 'w-1', order));
    expect(first.chat).toEqual({ chatId: 600, blocked: false });
    expect(first.claim.partsDone).toBe(0);
    expect(queries).toBe(1);
    expect(await claimOperatorMessage(db, visitorId, 'w-1', order)).toEqual({ status: 'in_progress' });
    expect(await claimOperatorMessage(db, 'no-such-visitor', 'w-2', order)).toEqual({ status: 'unknown_visitor' });
    await first.claim.complete();
    expect(await claimOperatorMessage(db, visitorId, 'w-1', order)).toEqual({ status: 'done' });
  });

  it('scopes operator message ids by visitor: the same id for two visitors is two messages', async () => {
    const a = (await mapChat(db, 610)).visitorId;
    const b = (await mapChat(db, 611)).visitorId;
    const first = held(await claimOperatorMessage(db, a, '424242', order));
    await first.claim.complete();
    held(await claimOperatorMessage(db, b, '424242', order));
  });

  it('holds a chat for its unfinished operator message: later ones wait, until it finishes or the hold runs out', async () => {
    const { visitorId } = await mapChat(db, 620);
    const first = held(await claimOperatorMessage(db, visitorId, 'o-1', order));
    await first.claim.release(); // a transient failure: o-1 is still owed to the user
    expect(await claimOperatorMessage(db, visitorId, 'o-2', order)).toEqual({ status: 'chat_busy' });
    const retried = held(await claimOperatorMessage(db, visitorId, 'o-1', order));
    await retried.claim.complete();
    const second = held(await claimOperatorMessage(db, visitorId, 'o-2', order));
    await second.claim.release();
    await db.sql`UPDATE delivery_claims SET created_at = now() - interval '601 seconds' WHERE scope = ${visitorId} AND key = 'o-2'`;
    held(await claimOperatorMessage(db, visitorId, 'o-3', order)); // o-2 held the chat too long
  });

  it('exactly one of many concurrent claimers wins, and other messages of the chat wait', async () => {
    const { visitorId } = await mapChat(db, 630);
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => claimOperatorMessage(db, visitorId, i % 2 ? 'race' : `race-${i}`, order)),
    );
    expect(results.filter((r) => r.status === 'claimed')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'in_progress' || r.status === 'chat_busy')).toHaveLength(29);
    const updates = await Promise.all(Array.from({ length: 30 }, () => claimUpdate(db, 'race', 60)));
    expect(updates.filter((r) => r.status === 'claimed')).toHaveLength(1);
  });

  it('keeps a completion that could not be written and writes it before the next claim', async () => {
    const { visitorId } = await mapChat(db, 640);
    const claimed = held(await claimOperatorMessage(db, visitorId, 'late-1', order));
    // A view with no time left: every statement fails at once, as when the database is unreachable.
    const unreachable = db.withDeadline({ remaining: () => 0 });
    const late = new HeldClaim(unreachable, claimed.claim.id, 0);
    expect(await late.completeAfterSuccess()).toBe(false);
    expect(db.deferredWrites).toBe(1);
    expect(await claimOperatorMessage(db, visitorId, 'late-1', order)).toEqual({ status: 'done' });
    expect(db.deferredWrites).toBe(0);
  });

  it('purges claims past the retention window only', async () => {
    await db.sql`INSERT INTO delivery_claims (source, key, state, created_at) VALUES ('telegram_update', 'old', 'done', now() - interval '49 hours'), ('telegram_update', 'young', 'done', now() - interval '23 hours')`;
    expect(await purgeExpiredClaims(db, 48)).toEqual({ purged: 1, drained: true });
    const keys = (await db.sql`SELECT key FROM delivery_claims WHERE key IN ('old', 'young')`).map((r) => r.key as string);
    expect(keys).toEqual(['young']);
  });

  it.runIf(engine.name === 'PostgreSQL server')("flushes WAL for a chat's first mapping only, not for each message", async () => {
    // One connection, whose statistics are pushed out before each reading (a backend reports
    // them lazily, at most once a second otherwise).
    const one = new Database({ url: testDb.url, max: 1 });
    onTestFinished(() => one.close());
    const walSyncs = async () => {
      await one.sql`SELECT pg_stat_force_next_flush()`;
      return Number((await one.sql<{ n: string }[]>`SELECT wal_sync::text AS n FROM pg_stat_wal`)[0]?.n);
    };
    // 30 first messages of new chats, one after another: each waits for its own flush.
    let before = await walSyncs();
    for (let i = 0; i < 30; i++) held(await claimUpdateForChat(one, `wal-new-${i}`, 880_000 + i, 60));
    expect((await walSyncs()) - before).toBeGreaterThanOrEqual(30);
    // 60 claims and completions of known chats: 120 commits, none flushing on its own. The
    // counter is the server's: the WAL writer (every 200 ms at most) and other test files running
    // at the same time add to it, hence the margin; synchronous commits would add 120.
    before = await walSyncs();
    for (let i = 0; i < 60; i++) {
      const claimed = held(await claimUpdateForChat(one, `wal-known-${i}`, 880_000 + (i % 30), 60));
      await claimed.claim.complete();
    }
    const delta = (await walSyncs()) - before;
    expect(delta).toBeLessThan(60);
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

  it('retries a statement on a dead-connection error (twice at most), and never other errors', async () => {
    let attempts = 0;
    const flaky = await db.query(async (sql) => {
      if (++attempts === 1) throw Object.assign(new Error('write CONNECTION_CLOSED'), { code: 'CONNECTION_CLOSED' });
      return sql`SELECT 1 AS one`;
    });
    expect(flaky[0]?.one).toBe(1);
    expect(attempts).toBe(2);
    let failures = 0;
    const dead = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    await expect(
      db.query(async () => {
        failures++;
        throw dead();
      }),
    ).rejects.toThrow('ECONNRESET');
    expect(failures).toBe(3); // twice more, then given up
    let syntax = 0;
    await expect(
      db.query(async (sql) => {
        syntax++;
        return sql`SELEC 1`;
      }),
    ).rejects.toThrow();
    expect(syntax).toBe(1);
  });

  it('reads the settings table, skipping empty values', async () => {
    await db.sql`INSERT INTO settings (key, value) VALUES ('WELCOME_TEXT', 'Hi'), ('PORT', '')`;
    expect(await readSettingsTable(db)).toEqual({ WELCOME_TEXT: 'Hi' });
  });
});
