import { type ScriptedResponse, startHttpFake } from './http-fake';
import { signatureProblem } from './sigv4';

export { FAKE_AWS_ENV } from './sigv4';

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
    const problem = signatureProblem(req, 'ssm');
    if (problem) {
      badSignatures.push(problem);
      return { status: 400, body: { __type: 'InvalidSignatureException', message: problem } };
    }
    if (req.headers['x-amz-target'] !== 'AmazonSSM.GetParametersByPath')
      return { status: 400, body: { __type: 'UnknownOperationException' } };
    const scripted = script.shift();
    if (scripted && !scripted.pass) return scripted;
    const input = JSON.parse(req.raw.toString('utf8')) as FakeSsm['calls'][number];
    calls.push(input);
    const under = [...parameters].filter(
      ([name]) => name.startsWith(`${input.Path.replace(/\/$/, '')}/`) && !name.slice(input.Path.length + 1).includes('/'),
    );
    const start = Number(input.NextToken ?? 0);
    const size = Math.min(input.MaxResults ?? 10, 10);
    const page = under.slice(start, start + size).map(([Name, Value]) => ({ Name, Value, Type: 'SecureString', Version: 1 }));
    return {
      ...scripted,
      status: 200,
      body: { Parameters: page, ...(start + size < under.length ? { NextToken: String(start + size) } : {}) },
    };
  });
  return { url: fake.url, calls, badSignatures, parameters, script, close: fake.close };
}
