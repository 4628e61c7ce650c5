import { connect as connectTcp, type Socket } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import postgres, { type Sql } from 'postgres';
import type { Deadline } from '../core/deadline';
import type { StatIncrement } from '../core/words';
import { classifyDatabaseError, DatabaseTimeoutError, isDeadConnectionError } from './errors';

export { isDeadConnectionError } from './errors';

export interface DatabaseOptions {
  url: string;
  /** A Unix-domain socket's directory: connect there instead of the URL's host (see databaseConnection). */
  socketDir?: string;
  /** 1 on Lambda: a container serves one request at a time. */
  max?: number;
  /** Longest any one statement may take when no invocation deadline is tighter. */
  statementTimeoutMs?: number;
  /** TLS for the connection (see lib/db/connection-options); the driver's own `sslmode` parsing when absent. */
  ssl?: postgres.Options<Record<string, never>>['ssl'];
  /** Named prepared statements per connection (see usesPreparedStatements); on when absent. */
  prepare?: boolean;
  /** Count of round trips, for benchmarks and tests. */
  onQuery?: () => void;
}

const DEFAULT_STATEMENT_TIMEOUT_MS = 10_000;
/** Retries of a statement whose connection turned out to be dead (each on a fresh connection). */
const DEAD_CONNECTION_RETRIES = 2;
/** Left for answering the request after a statement that used up the rest of the budget. */
const ANSWER_RESERVE_MS = 300;

/** The shared part of every view of one database: the driver instance and its settings. */
interface Pool {
  sql: Sql;
  options: DatabaseOptions;
  /** Writes that must not be lost but could not be made when due (keyed, so each is kept once). */
  readonly deferred: Map<string, (sql: Sql) => Promise<unknown>>;
  /** Outcome counts not yet written: they ride along with the next statement that writes. */
  readonly stats: Map<string, number>;
  /** When the oldest unwritten count was made (0: none). */
  statsSince: number;
}

/** What the driver passes its `socket` factory (its parsed URL: one or more hosts, or a Unix socket path). */
interface SocketTarget {
  host: string[];
  port: number[];
  path?: string | false;
}

/**
 * Opens the driver's TCP connection with Nagle's algorithm off. The driver leaves it on, and its
 * small writes (the startup and authentication messages after the TLS handshake) then wait for the
 * server's delayed ACK. Hosts are tried in turn on reconnects, as the driver itself does; a Unix
 * socket path is connected as it is.
 */
function socketFactory(): (target: SocketTarget) => Socket {
  let next = 0;
  return (target) => {
    if (target.path) return connectTcp({ path: target.path });
    const i = next++ % Math.max(1, target.host.length);
    return connectTcp({ host: target.host[i], port: target.port[i] ?? target.port[0] ?? 5432, noDelay: true });
  };
}

/** Compiled CA lists, by their text: compiling one (Node's public roots and a CA file) takes 8–20 ms of CPU. */
const secureContexts = new Map<string, SecureContext>();

/**
 * The same TLS options with their CA list compiled once per process (a `secureContext`) instead of
 * on every connection: `tls.connect` given a `ca` list parses every certificate in it each time,
 * 8–20 ms of CPU on the cold path for Node's public roots alone. Options without a CA list are
 * returned as they are.
 */
export function withCompiledCas(ssl: DatabaseOptions['ssl']): DatabaseOptions['ssl'] {
  if (!ssl || typeof ssl !== 'object' || !('ca' in ssl) || !ssl.ca) return ssl;
  const { ca, ...rest } = ssl;
  const key = [ca].flat().join('\n');
  let context = secureContexts.get(key);
  if (!context) {
    context = createSecureContext({ ca: ca as string | string[] });
    secureContexts.set(key, context);
  }
  return { ...rest, secureContext: context };
}

const connect = (options: DatabaseOptions): Sql =>
  postgres(options.url, {
    // Not in the driver's type declarations, but part of its options (a socket factory).
    ...({ socket: socketFactory() } as object),
    max: options.max ?? 1,
    connect_timeout: 5,
    idle_timeout: 20,
    max_lifetime: 60 * 5,
    prepare: options.prepare ?? true,
    ...(options.socketDir ? { host: options.socketDir } : {}),
    ...(options.ssl !== undefined ? { ssl: withCompiledCas(options.ssl) } : {}),
    onnotice: () => {},
    // No statement takes or returns arrays: skip the catalogue query for array types that the
    // driver would otherwise make on every new connection.
    fetch_types: false,
    connection: { application_name: 'telegram-webim-bridge' },
  });

/**
 * The process-wide Postgres handle. Options follow Lambda practice: a tiny pool, short connect
 * and idle timeouts, a bounded connection lifetime. Named prepared statements unless `prepare` is
 * false (behind RDS Proxy, see usesPreparedStatements): without them the driver sends each
 * statement with parameters in two round trips (describe, then execute) and the server plans it
 * every time.
 *
 * Invariant: no statement waits longer than the invocation has left. A view made with
 * `withDeadline` bounds each statement by that deadline; a statement that runs out of time
 * fails with DatabaseTimeoutError and the connections are replaced, because a connection that
 * stopped answering (a black-holed network path) would otherwise hold every later statement too.
 */
export class Database {
  private readonly pool: Pool;
  private deadline?: Deadline;

  constructor(options: DatabaseOptions) {
    this.pool = { sql: connect(options), options, deferred: new Map(), stats: new Map(), statsSince: 0 };
  }

  /** The driver; replaced after a timeout, so read it anew for each use. */
  get sql(): Sql {
    return this.pool.sql;
  }

  /** A view of the same connections whose statements end by `deadline`. */
  withDeadline(deadline: Deadline): Database {
    const view = Object.create(this) as Database;
    view.deadline = deadline;
    return view;
  }

  /** Milliseconds the next statement may take (`capMs` may shorten it further). */
  timeoutMs(capMs?: number): number {
    const cap = Math.min(capMs ?? Infinity, this.pool.options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS);
    return this.deadline ? Math.min(cap, this.deadline.remaining() - ANSWER_RESERVE_MS) : cap;
  }

  /**
   * Runs one statement (or one transaction) within the time left, and retries it (twice at most,
   * each on a fresh connection) when the connection turned out to be dead — typical after a
   * Lambda container thaws and the server closed the idle socket. Every statement we send is
   * safe to repeat.
   */
  async query<T>(run: (sql: Sql) => Promise<T>, options: { timeoutMs?: number } = {}): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      this.pool.options.onQuery?.();
      try {
        return await this.bounded(run, options.timeoutMs);
      } catch (error) {
        if (!isDeadConnectionError(error) || attempt > DEAD_CONNECTION_RETRIES) throw error;
        // Let the driver see the close first: a server that ends a connection (57P01) may say so
        // before the socket closes, and a retry sent at once could meet the same dying socket.
        await new Promise((resolve) => setTimeout(resolve, 10 * attempt));
      }
    }
  }

  /**
   * Keeps a write that failed (the database was unreachable) in this process's memory, to be
   * made by `flushDeferredWrites` before the next claim. It is lost only if the process ends first.
   */
  deferWrite(key: string, write: (sql: Sql) => Promise<unknown>): void {
    this.pool.deferred.set(key, write);
  }

  /** Makes the deferred writes, if any (no round trip otherwise); those that fail again stay. */
  async flushDeferredWrites(): Promise<void> {
    for (const [key, write] of [...this.pool.deferred]) {
      try {
        await this.query(write);
        this.pool.deferred.delete(key);
      } catch {
        return; // still unreachable: the caller's own statement will say so
      }
    }
  }

  /** Counts one relay outcome; it is written with the next statement that takes pending counts. */
  countOutcome(direction: string, outcome: string): void {
    this.countOutcomeBy(`${direction}|${outcome}`, 1);
    if (!this.pool.statsSince) this.pool.statsSince = Date.now();
  }

  /** Milliseconds the oldest unwritten count has waited (0: none waiting). */
  get statsWaitingMs(): number {
    return this.pool.statsSince ? Date.now() - this.pool.statsSince : 0;
  }

  /**
   * Runs a statement that writes the pending counts: they are taken out first and put back if the
   * statement fails, so a count is written exactly once (or kept for the next try).
   */
  async withPendingStats<T>(run: (increments: StatIncrement[]) => Promise<T>): Promise<T> {
    const taken = [...this.pool.stats].map(([key, n]): StatIncrement => [...(key.split('|') as [string, string]), n]);
    this.pool.stats.clear();
    const since = this.pool.statsSince;
    this.pool.statsSince = 0;
    try {
      return await run(taken);
    } catch (error) {
      for (const [d, o, n] of taken) this.countOutcomeBy(`${d}|${o}`, n);
      if (taken.length) this.pool.statsSince = since || Date.now();
      throw error;
    }
  }

  private countOutcomeBy(key: string, n: number): void {
    this.pool.stats.set(key, (this.pool.stats.get(key) ?? 0) + n);
  }

  /** How many deferred writes wait (health checks and tests). */
  get deferredWrites(): number {
    return this.pool.deferred.size;
  }

  /**
   * Points the same handle (and every view of it) at new connection options — a rotated password
   * or CA in a settings reload. The current connections are ended once their statements finish;
   * deferred writes and pending counts carry over.
   */
  reconfigure(options: DatabaseOptions): void {
    const stale = this.pool.sql;
    this.pool.options = { ...options, onQuery: options.onQuery ?? this.pool.options.onQuery };
    this.pool.sql = connect(this.pool.options);
    stale.end({ timeout: 5 }).catch(() => {});
  }

  async close(): Promise<void> {
    await this.pool.sql.end({ timeout: 5 });
  }

  private async bounded<T>(run: (sql: Sql) => Promise<T>, capMs?: number): Promise<T> {
    const ms = this.timeoutMs(capMs);
    if (ms <= 0) throw new DatabaseTimeoutError(0);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DatabaseTimeoutError(ms)), ms);
    });
    const sql = this.pool.sql;
    try {
      return await Promise.race([run(sql), expired]);
    } catch (error) {
      // A connection that stopped answering, or one to a node that refuses us for good (a rotated
      // password, a read-only node after a failover), is dropped: the next statement connects
      // anew, resolving the endpoint again.
      if (error instanceof DatabaseTimeoutError || classifyDatabaseError(error)?.replaceConnection) this.replaceConnections(sql);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Drops connections that stopped answering; the next statement connects anew. */
  private replaceConnections(stale: Sql): void {
    if (this.pool.sql !== stale) return; // another statement already replaced them
    this.pool.sql = connect(this.pool.options);
    stale.end({ timeout: 0 }).catch(() => {});
  }
}
