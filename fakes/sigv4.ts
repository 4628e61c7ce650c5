import { createHash, createHmac } from 'node:crypto';
import type { RecordedRequest } from './http-fake';

/** The credentials the fake accepts (what a Lambda execution role puts in the environment). */
export const FAKE_AWS_ENV = {
  AWS_REGION: 'eu-central-1',
  AWS_ACCESS_KEY_ID: 'AKIAFAKEBRIDGETEST01',
  AWS_SECRET_ACCESS_KEY: 'fake/secret/key+for+the+bridge+tests0000',
  AWS_SESSION_TOKEN: 'fake-session-token',
};

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/** SigV4 as AWS documents it, checked against FAKE_AWS_ENV; undefined when the request is signed right. */
export function signatureProblem(req: RecordedRequest, service: string): string | undefined {
  const auth = String(req.headers.authorization ?? '');
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([a-z0-9]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (!m) return `malformed authorization header: ${auth.slice(0, 40)}`;
  const [, keyId, day, region, signedService, signedHeaders, signature] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (signedService !== service) return `signed for ${signedService}, not ${service}`;
  if (keyId !== FAKE_AWS_ENV.AWS_ACCESS_KEY_ID || region !== FAKE_AWS_ENV.AWS_REGION) return 'unknown key or wrong region';
  const names = signedHeaders.split(';');
  for (const required of ['host', 'x-amz-date', 'x-amz-target', 'x-amz-security-token'])
    if (!names.includes(required)) return `${required} not signed`;
  if (req.headers['x-amz-security-token'] !== FAKE_AWS_ENV.AWS_SESSION_TOKEN) return 'wrong session token';
  const amzDate = String(req.headers['x-amz-date']);
  if (!amzDate.startsWith(day)) return 'date mismatch';
  const canonicalHeaders = names
    .map(
      (n) =>
        `${n}:${String(req.headers[n] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const [path, query = ''] = req.path.split('?');
  const canonicalRequest = [req.method, path, query, canonicalHeaders, signedHeaders, sha256(req.raw)].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${FAKE_AWS_ENV.AWS_SECRET_ACCESS_KEY}`, day), region), service), 'aws4_request');
  return createHmac('sha256', key).update(stringToSign).digest('hex') === signature ? undefined : 'signature does not match';
}
