import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeSsm, startFakeSsm } from '../../fakes/ssm';
import { Database } from '../../lib/db/database';
import { migrate, REQUIRED_MIGRATIONS, readMigrations } from '../../lib/db/migrate';
import { operatorCallback, startTestBridge, type TestBridge, textUpdate } from '../support/bridge';
import { databaseEngines } from '../support/databases';
import { alarmMetricNames, emfRecords } from '../support/metrics';

/**
 * A stage's ordinary life — an upgrade whose code runs before its migration, a rotated password,
 * a failover to a read-only node, revoked privileges — never turns into a 200 for a message that
 * was not relayed. Faults are real: the schema really lacks a migration, the role's password
 * really changes and its sessions are really terminated.
 */
describe.each(databaseEngines())('upgrades on $name', (engine) => {
  let bridge: TestBridge | undefined;
  afterEach(async () => {
    await bridge?.close();
    bridge = undefined;
  });

  it('the upgrade window: code newer than the schema answers 503 schema_behind, relays nothing, then exactly once after migrate', async () => {
    const all = await readMigrations();
    bridge = await startTestBridge(engine, { STAGE: 'ci' }, { migrations: all.slice(0, -1) });
    const update = textUpdate(8_800_001, 8_800_101, 'sent during the upgrade');
    const held = await bridge.postUpdate(update);
    expect(held.statusCode).toBe(503);
    expect(held.headers?.['retry-after']).toBe('60');
    expect(JSON.parse(held.body ?? '{}')).toMatchObject({ error: 'schema_behind' });
    expect(bridge.webim.received).toHaveLength(0);
    expect(bridge.parsedLogs().find((l) => l.event === 'configuration_error')).toMatchObject({ reason: 'schema_behind' });
    const records = emfRecords(bridge.logs);
    expect(records.some((r) => r.ConfigurationErrors === 1 && r.Deferred === 1)).toBe(true);

    // The callback waits too, and still checks on every request until the schema is current.
    const callback = await bridge.postCallback(operatorCallback('no-such-visitor', 'm-upgrade', 'reply'));
    expect(callback.statusCode).toBe(503);

    await migrate(bridge.db, all);
    expect((await bridge.postUpdate(update)).statusCode).toBe(200);
    expect((await bridge.postUpdate(update)).statusCode).toBe(200); // Telegram's redelivery: a duplicate
    expect(bridge.webim.received.filter((m) => m.message.text === 'sent during the upgrade')).toHaveLength(1);
  });

  it('a statement on a function the schema lacks is a configuration error (503), not a permanent drop', async () => {
    const all = await readMigrations();
    bridge = await startTestBridge(engine, {}, { migrations: all.slice(0, -1) });
    // Past the once-per-container check (as a container that checked before a rollback of the schema would be).
    await migrate(bridge.db, all);
    expect((await bridge.postUpdate(textUpdate(8_800_011, 8_800_111, 'first'))).statusCode).toBe(200);
    await bridge.db.sql`DROP FUNCTION claim_telegram_update(text, bigint, integer, jsonb)`;
    const res = await bridge.postUpdate(textUpdate(8_800_012, 8_800_111, 'held by the schema'));
    expect(res.statusCode).toBe(503);
    expect(bridge.parsedLogs().find((l) => l.event === 'configuration_error')).toMatchObject({
      upstream: 'database',
      reason: 'database_schema_behind_42883',
    });
    expect(bridge.webim.received.map((m) => m.message.text)).toEqual(['first']);
  });

  it('REQUIRED_MIGRATIONS names every migration file this release ships', async () => {
    expect((await readMigrations()).map((m) => m.version)).toEqual([...REQUIRED_MIGRATIONS]);
  });
});

const serverUrl = process.env.TEST_DATABASE_URL;
const [, server] = databaseEngines();

/**
 * What only a real server can do: roles with passwords, terminated sessions, a read-only
 * database. The bridge connects as its own role, as in production; the test acts as the DBA.
 */
describe.skipIf(!serverUrl || !server)('rotations and failovers on PostgreSQL server', () => {
  let ssm: FakeSsm;
  let bridge: TestBridge;
  let dbaDb: Database;
  let dba: postgres.Sql;
  let databaseUrl: string;
  let role: string;
  let dbName: string;
  let next = 8_900_000;
  const withPassword = (url: string, password: string) => {
    const u = new URL(url);
    u.username = role;
    u.password = password;
    return u.toString();
  };
  const terminateSessions = () =>
    dba`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${dbName} AND pid <> pg_backend_pid()`;
  const claimed = async (updateId: number) => (await dba`SELECT 1 FROM delivery_claims WHERE key = ${String(updateId)}`).length;

  beforeAll(async () => {
    role = `bridge_role_${randomBytes(4).toString('hex')}`;
    ssm = await startFakeSsm();
    const database = await server!.create();
    dbName = new URL(database.url).pathname.slice(1);
    databaseUrl = database.url;
    dbaDb = new Database({ url: database.url, max: 1 });
    dba = dbaDb.sql;
    await migrate(dbaDb, await readMigrations());
    await dba.unsafe(`CREATE ROLE ${role} LOGIN PASSWORD 'first-password'`);
    await dba.unsafe(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role}`);
    bridge = await startTestBridge(
      server!,
      { SETTINGS_TTL_SECONDS: '0', STAGE: 'ci' },
      {
        ssm,
        database,
        migrations: [],
        databaseUrl: (url) => withPassword(url, 'first-password'),
        databaseUrlInSsm: true,
      },
    );
  });
  afterAll(async () => {
    await bridge.close();
    await dba.unsafe(`DROP OWNED BY ${role}`).catch(() => {});
    await dbaDb.close();
    const admin = postgres(serverUrl!, { max: 1, onnotice: () => {} });
    await admin.unsafe(`DROP ROLE IF EXISTS ${role}`);
    await admin.end();
    await ssm.close();
  });

  it('relays as its own role', async () => {
    expect((await bridge.postUpdate(textUpdate(++next, 8_900_500, 'hello'))).statusCode).toBe(200);
  });

  it('rotated password: 503 and nothing claimed while the old one is used; the new DATABASE_URL in SSM reaches the warm runtime; exactly once', async () => {
    await dba.unsafe(`ALTER ROLE ${role} PASSWORD 'second-password'`);
    await terminateSessions();
    const update = textUpdate(++next, 8_900_500, 'after the rotation');
    const held = await bridge.postUpdate(update);
    expect(held.statusCode).toBe(503);
    expect(held.headers?.['retry-after']).toBe('60');
    expect(await claimed(update.update_id as number)).toBe(0);
    expect(
      bridge
        .parsedLogs()
        .filter((l) => l.event === 'configuration_error')
        .at(-1),
    ).toMatchObject({ reason: 'database_authentication_28p01' });
    expect(emfRecords(bridge.logs).at(-1)).toMatchObject({ ConfigurationErrors: 1 });

    ssm.parameters.set('/bridge/test/DATABASE_URL', withPassword(databaseUrl, 'second-password'));
    expect((await bridge.postUpdate(update)).statusCode).toBe(200);
    expect((await bridge.postUpdate(update)).statusCode).toBe(200);
    expect(bridge.webim.received.filter((m) => m.message.text === 'after the rotation')).toHaveLength(1);
    expect(bridge.parsedLogs().some((l) => l.event === 'database_reconfigured')).toBe(true);
  });

  it('failover to a read-only node: 503, nothing claimed; after the writer is back, exactly once', async () => {
    await dba.unsafe(`ALTER DATABASE ${dbName} SET default_transaction_read_only = on`);
    await terminateSessions();
    const update = textUpdate(++next, 8_900_500, 'during the failover');
    const held = await bridge.postUpdate(update);
    expect(held.statusCode).toBe(503);
    expect(await claimed(update.update_id as number)).toBe(0);
    expect(
      bridge
        .parsedLogs()
        .filter((l) => l.event === 'configuration_error')
        .at(-1),
    ).toMatchObject({ reason: 'database_read_only_25006' });
    // No session is terminated this time: the bridge must have dropped the read-only one itself.
    await dba.unsafe(`ALTER DATABASE ${dbName} SET default_transaction_read_only = off`);
    expect((await bridge.postUpdate(update)).statusCode).toBe(200);
    expect(bridge.webim.received.filter((m) => m.message.text === 'during the failover')).toHaveLength(1);
  });

  it('revoked privileges: 503 for both directions; after the grant, exactly once', async () => {
    const chatId = 8_900_501;
    expect((await bridge.postUpdate(textUpdate(++next, chatId, '/start'))).statusCode).toBe(200);
    const [row] = await dba<{ visitor_id: string }[]>`SELECT visitor_id FROM chat_mapping WHERE chat_id = ${chatId}`;
    await dba.unsafe(`REVOKE INSERT, UPDATE ON delivery_claims FROM ${role}`);
    const update = textUpdate(++next, chatId, 'without privileges');
    expect((await bridge.postUpdate(update)).statusCode).toBe(503);
    const reply = operatorCallback(row!.visitor_id, 'm-privileges', 'reply without privileges');
    expect((await bridge.postCallback(reply)).statusCode).toBe(503);
    expect(
      bridge
        .parsedLogs()
        .filter((l) => l.event === 'configuration_error')
        .at(-1),
    ).toMatchObject({ reason: 'database_privileges_42501' });
    await dba.unsafe(`GRANT INSERT, UPDATE ON delivery_claims TO ${role}`);
    expect((await bridge.postUpdate(update)).statusCode).toBe(200);
    expect((await bridge.postCallback(reply)).statusCode).toBe(200);
    expect(bridge.webim.received.filter((m) => m.message.text === 'without privileges')).toHaveLength(1);
    expect(bridge.telegram.deliveredTo(chatId)).toEqual(['reply without privileges']);
  });

  it('every fault above wrote the metric the packaged alarm watches', async () => {
    const watched = await alarmMetricNames();
    const configuration = emfRecords(bridge.logs).filter((r) => r.ConfigurationErrors === 1);
    expect(configuration.length).toBeGreaterThanOrEqual(4);
    expect(watched).toContain('ConfigurationErrors');
  });
});
