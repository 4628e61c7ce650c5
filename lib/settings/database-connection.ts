import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { type ConnectionOptions, rootCertificates } from 'node:tls';
import { isLoopbackHost } from '../core/loopback';
import { SettingsError } from './schema';

/** Where Lambda's Node.js runtimes keep Amazon's CA certificates, the RDS ones among them. */
const LAMBDA_CA_FILE = '/var/runtime/ca-cert.pem';

export interface DatabaseConnection {
  /** The URL for the driver, without `sslmode` (TLS is given explicitly). */
  url: string;
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
