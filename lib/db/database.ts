import postgres, { type Sql } from 'postgres';

export interface DatabaseOptions {
  url: string;
  /** 1 on Lambda: a container serves one request at a time. */
  max?: number;
  /** Count of round trips, for benchmarks and tests. */
  onQuery?: () => void;
}

/** Error codes of the `postgres` driver and the OS that mean "the connection died", not "the query failed". */
const DEAD_CONNECTION = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  '57P01', // admin_shutdown (e.g. RDS failover, proxy recycling)
]);

export const isDeadConnectionError = (error: unknown): boolean =>
  !!error && typeof error === 'object' && DEAD_CONNECTION.has(String((error as { code?: unknown }).code));

/**
 * The process-wide Postgres handle. Options follow Lambda practice: a tiny pool, short connect
 * and idle timeouts, a bounded connection lifetime, and no named prepared statements so RDS Proxy
 * or PgBouncer in transaction mode work.
 */
export class Database {
  readonly sql: Sql;
  private readonly onQuery?: () => void;

  constructor(options: DatabaseOptions) {
    this.onQuery = options.onQuery;
    this.sql = postgres(options.url, {
      max: options.max ?? 1,
      connect_timeout: 5,
      idle_timeout: 20,
      max_lifetime: 60 * 5,
      prepare: false,
      onnotice: () => {},
      connection: { application_name: 'telegram-webim-bridge' },
    });
  }

  /**
   * Runs one statement (or one transaction) and retries it once when the connection turned out
   * to be dead — typical after a Lambda container thaws and the server closed the idle socket.
   * Every statement we send is safe to repeat.
   */
  async query<T>(run: (sql: Sql) => Promise<T>): Promise<T> {
    this.onQuery?.();
    try {
      return await run(this.sql);
    } catch (error) {
      if (!isDeadConnectionError(error)) throw error;
      this.onQuery?.();
      return run(this.sql);
    }
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 5 });
  }
}
