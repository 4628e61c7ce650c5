import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface ThrowawayCertificate {
  key: string;
  cert: string;
  keyFile: string;
  certFile: string;
}

/**
 * A self-signed certificate for a loopback server of the tests or the bench (`key.pem` and
 * `cert.pem` in `dir`), made with openssl; undefined where openssl is missing or fails. Its own
 * CA: a client trusts it by naming `certFile` as its CA.
 */
export function makeThrowawayCertificate(options: {
  dir: string;
  commonName: string;
  /** The subjectAltName entries, e.g. `DNS:localhost,IP:127.0.0.1`. */
  altNames: string;
  days?: number;
}): ThrowawayCertificate | undefined {
  const keyFile = path.join(options.dir, 'key.pem');
  const certFile = path.join(options.dir, 'cert.pem');
  try {
    const made = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        String(options.days ?? 1),
        '-subj',
        `/CN=${options.commonName}`,
        '-addext',
        `subjectAltName=${options.altNames}`,
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ],
      { stdio: 'ignore', timeout: 20_000 },
    );
    if (made.status !== 0) return undefined;
    return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), keyFile, certFile };
  } catch {
    return undefined;
  }
}
