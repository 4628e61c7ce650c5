import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { type ConnectionOptions, rootCertificates } from 'node:tls';
import { isLoopbackHost } from '../core/loopback';
import { SettingsError } from './schema';

/** Where Lambda's Node.js runtimes keep Amazon's CA certificates, the RDS ones among them. */
const LAMBDA_CA_FILE = '/var/runtime/ca-cert.pem';

export interface DatabaseConnection {
  /** The URL for the driver, without `sslmode` (TLS is given explicitly) or `host` (see `socketDir`). */
  url: string;
  /**
   * The directory of a Unix-domain socket (`?host=/var/run/postgresql`, as libpq reads it): the
   * driver connects there instead of over TCP, which is how peer authentication works.
   */
  socketDir?: string;
  /** false: plain TCP; otherwise the TLS options. */
  ssl: false | ConnectionOptions;
  /** The TLS choice, by name. */
  tls: 'off' | 'encrypt-only' | 'verify-full';
}

export type PreparedStatementsSetting = 'auto' | 'on' | 'off';

/** An RDS Proxy endpoint: `<name>.proxy-<id>.<region>.rds.amazonaws.com`. */
const RDS_PROXY_HOST = /\.proxy-[a-z0-9]+\.[a-z0-9-]+\.rds\.amazonaws\.com$/i;

/**
 * Whether the driver keeps named prepared statements per connection. They save a round trip and
 * the server's parse and plan on every statement (half the database time of a relayed message).
 * `auto` uses them except behind RDS Proxy, where a named statement pins the client to one server
 * connection and so defeats the proxy's multiplexing. Behind PgBouncer in transaction mode older
 * than 1.21 (or without `max_prepared_statements`), set `off`.
 */
export function usesPreparedStatements(rawUrl: string, setting: PreparedStatementsSetting = 'auto'): boolean {
  if (setting !== 'auto') return setting === 'on';
  try {
    return !RDS_PROXY_HOST.test(new URL(rawUrl).hostname);
  } catch {
    return true; // an unparsable URL is reported by databaseConnection
  }
}

/**
 * Decides how to reach the database from DATABASE_URL.
 *
 * - `sslmode=disable` → plain; `require` → encrypted without checking the certificate (libpq's
 *   meaning); `verify-ca` / `verify-full` → encrypted and verified.
 * - No `sslmode`: plain for loopback hosts (the local embedded database), otherwise verify-full —
 *   RDS for PostgreSQL 15+ refuses unencrypted connections, and a certificate that is not checked
 *   protects against nothing on the network path.
 * Verification trusts Node's public roots plus the PEM file in DATABASE_CA_FILE, or Lambda's own
 * bundle (which has the RDS CAs) when present. It is read once, when the database is first set up.
 */
export function databaseConnection(rawUrl: string, options: { caFile?: string } = {}): DatabaseConnection {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new SettingsError([], [{ key: 'DATABASE_URL', problem: 'is not a URL; expected postgres://user:password@host:5432/database' }]);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new SettingsError(
      [],
      [
        {
          key: 'DATABASE_URL',
          problem: `uses ${url.protocol}// but the bridge needs PostgreSQL: postgres://user:password@host:5432/database`,
        },
      ],
    );
  }
  if (!url.hostname && !url.searchParams.get('host')) {
    throw new SettingsError([], [{ key: 'DATABASE_URL', problem: 'names no host; expected postgres://user:password@host:5432/database' }]);
  }
  const socketDir = url.searchParams.get('host') ?? undefined;
  if (socketDir !== undefined) {
    if (!socketDir.startsWith('/'))
      throw new SettingsError(
        [],
        [{ key: 'DATABASE_URL', problem: 'host= must name the directory of a Unix socket, e.g. ?host=/var/run/postgresql' }],
      );
    // A socket never leaves the machine: no TLS (libpq ignores sslmode for sockets too).
    url.searchParams.delete('host');
    url.searchParams.delete('sslmode');
    return { url: url.toString(), ssl: false, tls: 'off', socketDir };
  }
  const mode = url.searchParams.get('sslmode') ?? (isLoopbackHost(url.hostname) || !url.hostname ? 'disable' : 'verify-full');
  url.searchParams.delete('sslmode');
  const clean = url.toString();
  switch (mode) {
    case 'disable':
    case 'allow':
      return { url: clean, ssl: false, tls: 'off' };
    case 'prefer':
    case 'require':
      return { url: clean, ssl: { rejectUnauthorized: false }, tls: 'encrypt-only' };
    case 'verify-ca':
      return {
        url: clean,
        ssl: { rejectUnauthorized: true, ca: trustedCas(options.caFile), checkServerIdentity: () => undefined },
        tls: 'verify-full',
      };
    case 'verify-full':
      // SNI takes host names only; an IP address is still checked against the certificate.
      return {
        url: clean,
        ssl: { rejectUnauthorized: true, ca: trustedCas(options.caFile), ...(isIP(url.hostname) ? {} : { servername: url.hostname }) },
        tls: 'verify-full',
      };
    default:
      throw new SettingsError(
        [],
        [{ key: 'DATABASE_URL', problem: `sslmode=${mode} is not one of disable, require, verify-ca, verify-full` }],
      );
  }
}

function trustedCas(caFile: string | undefined): string[] {
  const file = caFile ?? (existsSync(LAMBDA_CA_FILE) ? LAMBDA_CA_FILE : undefined);
  if (!file) return [...rootCertificates];
  try {
    return [...rootCertificates, readFileSync(file, 'utf8')];
  } catch {
    throw new SettingsError([], [{ key: 'DATABASE_CA_FILE', problem: `cannot read ${file}` }]);
  }
}

/** A database failure said plainly: what happened (naming where, never the password) and the fix. */
export interface DatabaseProblem {
  /** `DATABASE_URL (host:port): <what happened> (<code>)`. */
  detail: string;
  /** What to change. */
  hint: string;
  /** The connection never came up (the server could not be reached, or refused the TLS handshake). */
  unreachable: boolean;
}

const TLS_VERIFY_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Where a database is, for messages: never its password. */
export interface DatabaseTarget {
  host?: string;
  port?: number | string;
  /** A Unix socket's directory, instead of host and port. */
  socketDir?: string;
  user?: string;
  database?: string;
}

/** The target of a DATABASE_URL (undefined fields when it is not a URL). */
export function databaseTarget(rawUrl: string | undefined): DatabaseTarget {
  try {
    const u = new URL(rawUrl ?? '');
    const socket = u.searchParams.get('host');
    const user = decodeURIComponent(u.username) || undefined;
    return {
      host: u.hostname || undefined,
      port: u.port || 5432,
      socketDir: socket?.startsWith('/') ? socket : undefined,
      user,
      database: decodeURIComponent(u.pathname.slice(1)) || user,
    };
  } catch {
    return {};
  }
}

/**
 * Words for a failure to use the database of DATABASE_URL, one wording for `npm start`, the
 * doctor and the admin commands: the cause by name (a refused password, a missing database, a
 * missing privilege, an unverifiable certificate, a host that cannot be reached) and the setting
 * to change. Undefined when the error is not one of these (the caller shows its code).
 * The password never appears: only the host and port (or socket), the user and the database.
 */
export function explainDatabaseFailure(error: unknown, target: DatabaseTarget | string | undefined): DatabaseProblem | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string') return undefined;
  const t = typeof target === 'object' ? target : databaseTarget(target);
  const where = t.socketDir
    ? `DATABASE_URL (socket ${t.socketDir})`
    : t.host
      ? `DATABASE_URL (${t.host}:${t.port ?? 5432})`
      : 'DATABASE_URL';
  const user = t.user ?? 'postgres';
  const database = t.database ?? user;
  const problem = (what: string, hint: string, unreachable = false): DatabaseProblem => ({
    detail: `${where}: ${what} (${code})`,
    hint,
    unreachable,
  });
  switch (code) {
    case '28P01':
      return problem(
        `the password of user "${user}" was refused`,
        'put the current password in DATABASE_URL (on AWS: the SSM parameter DATABASE_URL, then wait SETTINGS_TTL_SECONDS)',
      );
    case '28000':
      return problem(
        `user "${user}" may not log in (no such role, or no pg_hba.conf rule for it)`,
        `create the role (CREATE ROLE ${user} LOGIN PASSWORD '…') or fix the user in DATABASE_URL; for a Unix socket the role must match your system user (peer authentication)`,
      );
    case '3D000':
      return problem(
        `the database "${database}" does not exist`,
        `create it (CREATE DATABASE ${database} OWNER ${user}) or fix the database name in DATABASE_URL`,
      );
    case '42501':
      return problem(
        `user "${user}" lacks a privilege it needs`,
        `let the bridge's role own its database and tables: CREATE DATABASE … OWNER ${user}, and run the migrations as that role (npm run migrate, or the migrate function)`,
      );
    case 'ECONNREFUSED':
      return problem(
        'nothing accepts connections there',
        'check the host and port in DATABASE_URL and that PostgreSQL runs there; from Lambda: the VPC subnets and a security group rule allowing the functions on port 5432',
        true,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return problem(
        'the host name does not resolve',
        'check the host in DATABASE_URL (a private RDS name resolves only inside its VPC: deploy with subnetIds and securityGroupIds)',
        true,
      );
    case 'ENOENT':
      return problem(
        'no PostgreSQL socket in that directory',
        'check host= in DATABASE_URL (pg_lsclusters or SHOW unix_socket_directories names it) and that PostgreSQL runs',
        true,
      );
    case 'ETIMEDOUT':
    case 'CONNECT_TIMEOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return problem(
        'no answer in time',
        'a firewall or security group drops the connection: allow the functions (or this machine) on port 5432 of the database, and check the host',
        true,
      );
    case 'DATABASE_TIMEOUT':
      return problem('a statement did not finish in time', 'the database is overloaded or locked: look at its activity (pg_stat_activity)');
  }
  if (TLS_VERIFY_CODES.has(code))
    return problem(
      'its TLS certificate could not be verified',
      "put the CA certificate that signed the server's (PEM) in a file and name it in DATABASE_CA_FILE (for RDS: AWS's bundle for the region; Lambda trusts it already), or fix the host name to the one in the certificate; ?sslmode=require encrypts without verifying, for a test server only",
      true,
    );
  return undefined;
}
