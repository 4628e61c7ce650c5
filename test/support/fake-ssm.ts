import { createHash, createHmac } from 'node:crypto';
import { startHttpFake, type RecordedRequest, type ScriptedResponse } from './http-fake';

/** The credentials the fake accepts (what a Lambda execution role puts in the environment). */
export const FAKE_AWS_ENV = {
  AWS_REGION: 'eu-central-1',
  AWS_ACCESS_KEY_ID: 'AKIAFAKEBRIDGETEST01',
  AWS_SECRET_ACCESS_KEY: 'fake/secret/key+for+the+bridge+tests0000',
  AWS_SESSION_TOKEN: 'fake-session-token',
};

export interface FakeSsm {
  /** Put in AWS_ENDPOINT_URL_SSM. */
  url: string;
  /** GetParametersByPath calls that passed the signature check, with their input. */
  calls: { Path: string; NextToken?: string; WithDecryption?: boolean; MaxResults?: number }[];
  /** Calls refused for a bad signature (must stay empty). */
  badSignatures: string[];
  /** Parameters by full name. */
  parameters: Map<string, string>;
  /** Answers the next calls from this script first (throttling, outages, denial, a hang). */
  script: ScriptedResponse[];
  close(): Promise<void>;
}

/**
 * SSM Parameter Store over its real wire protocol (AWS JSON 1.1, `AmazonSSM.GetParametersByPath`),
 * paged by MaxResults / NextToken. Every request's SigV4 signature is recomputed here, from the
 * bytes and headers that arrived, with an implementation independent of the bridge's signer; a
 * mismatch is answered as AWS does (400 InvalidSignatureException) and recorded.
 */
export async function startFakeSsm(): Promise<FakeSsm> {
  const calls: FakeSsm['calls'] = [];
  const badSignatures: string[] = [];
  const parameters = new Map<string, string>();
  const script: ScriptedResponse[] = [];
  const fake = await startHttpFake((req) => {
    const problem = signatureProblem(req);
    if (problem) {
      badSignatures.push(problem);
      return { status: 400, body: { __type: 'InvalidSignatureException', message: problem } };
    }
    if (req.headers['x-amz-target'] !== 'AmazonSSM.GetParametersByPath') return { status: 400, body: { __type: 'UnknownOperationException' } };
    const scripted = script.shift();
    if (scripted && !scripted.pass) return scripted;
    const input = JSON.parse(req.raw.toString('utf8')) as FakeSsm['calls'][number];
    calls.push(input);
    const under = [...parameters].filter(([name]) => name.startsWith(`${input.Path.replace(/\/$/, '')}/`) && !name.slice(input.Path.length + 1).includes('/'));
    const start = Number(input.NextToken ?? 0);
    const size = Math.min(input.MaxResults ?? 10, 10);
    const page = under.slice(start, start + size).map(([Name, Value]) => ({ Name, Value, Type: 'SecureString', Version: 1 }));
    return { ...scripted, status: 200, body: { Parameters: page, ...(start + size < under.length ? { NextToken: String(start + size) } : {}) } };
  });
  return { url: fake.url, calls, badSignatures, parameters, script, close: fake.close };
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/** SigV4 as AWS documents it, checked against FAKE_AWS_ENV; undefined when the request is signed right. */
function signatureProblem(req: RecordedRequest): string | undefined {
  const auth = String(req.headers.authorization ?? '');
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/ssm\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return `malformed authorization header: ${auth.slice(0, 40)}`;
  const [, keyId, day, region, signedHeaders, signature] = m as unknown as [string, string, string, string, string, string];
  if (keyId !== FAKE_AWS_ENV.AWS_ACCESS_KEY_ID || region !== FAKE_AWS_ENV.AWS_REGION) return 'unknown key or wrong region';
  const names = signedHeaders.split(';');
  for (const required of ['host', 'x-amz-date', 'x-amz-target', 'x-amz-security-token']) if (!names.includes(required)) return `${required} not signed`;
  if (req.headers['x-amz-security-token'] !== FAKE_AWS_ENV.AWS_SESSION_TOKEN) return 'wrong session token';
  const amzDate = String(req.headers['x-amz-date']);
  if (!amzDate.startsWith(day)) return 'date mismatch';
  const canonicalHeaders = names.map((n) => `${n}:${String(req.headers[n] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const [path, query = ''] = req.path.split('?');
  const canonicalRequest = [req.method, path, query, canonicalHeaders, signedHeaders, sha256(req.raw)].join('\n');
  const scope = `${day}/${region}/ssm/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${FAKE_AWS_ENV.AWS_SECRET_ACCESS_KEY}`, day), region), 'ssm'), 'aws4_request');
  return createHmac('sha256', key).update(stringToSign).digest('hex') === signature ? undefined : 'signature does not match';
}
