import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { HttpTransportError, postBody } from '../http/json-client';

/**
 * Reads the stage's parameters from SSM Parameter Store: the one call the bridge makes to AWS.
 * The request is signed by `@smithy/signature-v4` (the SigV4 signer of the AWS SDK itself) and
 * sent on the small HTTP client of the upstream calls. The full SDK client was two thirds of
 * every function's bundle and about 40 ms of each cold start, for this single paged call.
 */

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export type CredentialsProvider = () => Promise<AwsCredentials>;

export interface SsmParameter {
  name: string;
  value: string;
}

/**
 * SSM answered with an error, or not at all. `retryable`: throttling, a 5xx or no answer (the
 * sender should retry later); otherwise a configuration problem (permissions, region,
 * credentials). The message names the error type and status only.
 */
export class SsmError extends Error {
  override readonly name = 'SsmError';
  constructor(
    readonly code: string,
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(`SSM GetParametersByPath failed: ${code}${status ? ` (HTTP ${status})` : ''}`);
  }
}

/** Lambda's credentials: the execution role's keys in the environment. */
export function envCredentials(env: Record<string, string | undefined>): CredentialsProvider {
  return async () => {
    const accessKeyId = env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
    if (!accessKeyId || !secretAccessKey) throw new SsmError('no_credentials_in_environment', false);
    return { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN || undefined };
  };
}

export interface SsmReaderOptions {
  region: string;
  /** Default `https://ssm.<region>.amazonaws.com` (`.com.cn` in China); AWS_ENDPOINT_URL_SSM overrides it, as in the SDK. */
  endpoint?: string;
  credentials: CredentialsProvider;
  /** Per attempt. */
  timeoutMs?: number;
  /** Attempts for a retryable failure (the SDK's default is 3 too). */
  maxAttempts?: number;
}

/** The reader for a Lambda function or a shell: region and endpoint from the standard AWS variables. */
export function ssmReaderFromEnv(env: Record<string, string | undefined>, credentials: CredentialsProvider = envCredentials(env)): SsmReader {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new SsmError('no_region (set AWS_REGION)', false);
  return new SsmReader({ region, endpoint: env.AWS_ENDPOINT_URL_SSM ?? env.AWS_ENDPOINT_URL, credentials });
}

const PAGE_SIZE = 10; // GetParametersByPath's maximum
const RETRYABLE_TYPES = /Throttl|TooManyRequests|RequestLimitExceeded|InternalServerError|ServiceUnavailable/;

export class SsmReader {
  private readonly endpoint: URL;
  private readonly signer: SignatureV4;

  constructor(private readonly options: SsmReaderOptions) {
    const domain = options.region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
    this.endpoint = new URL(options.endpoint ?? `https://ssm.${options.region}.${domain}`);
    this.signer = new SignatureV4({ service: 'ssm', region: options.region, credentials: options.credentials, sha256: NodeSha256 });
  }

  /** Every parameter directly under `path`, SecureStrings decrypted, all pages. */
  async parametersByPath(path: string): Promise<SsmParameter[]> {
    const out: SsmParameter[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.call({ Path: path, Recursive: false, WithDecryption: true, MaxResults: PAGE_SIZE, ...(nextToken ? { NextToken: nextToken } : {}) });
      for (const p of page.Parameters ?? []) if (typeof p.Name === 'string' && typeof p.Value === 'string') out.push({ name: p.Name, value: p.Value });
      nextToken = typeof page.NextToken === 'string' && page.NextToken ? page.NextToken : undefined;
    } while (nextToken);
    return out;
  }

  private async call(input: Record<string, unknown>): Promise<{ Parameters?: { Name?: unknown; Value?: unknown }[]; NextToken?: unknown }> {
    const attempts = this.options.maxAttempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.send(JSON.stringify(input));
      } catch (error) {
        if (!(error instanceof SsmError) || !error.retryable || attempt >= attempts) throw error;
        // Full jitter on an exponential base, as the SDK's standard retry strategy does.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 100 * 2 ** attempt));
      }
    }
  }

  private async send(body: string): Promise<{ Parameters?: { Name?: unknown; Value?: unknown }[]; NextToken?: unknown }> {
    const { endpoint } = this;
    const signed = await this.signer.sign({
      method: 'POST',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      port: endpoint.port ? Number(endpoint.port) : undefined,
      path: endpoint.pathname,
      query: {},
      headers: { host: endpoint.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonSSM.GetParametersByPath' },
      body,
    });
    let answer;
    try {
      answer = await postBody(endpoint.toString(), Buffer.from(body), { headers: signed.headers, timeoutMs: this.options.timeoutMs ?? 3000 });
    } catch (error) {
      if (error instanceof HttpTransportError) throw new SsmError(`no_answer_${error.reason}`, true);
      throw error;
    }
    const json = (answer.json ?? {}) as { __type?: unknown; Parameters?: { Name?: unknown; Value?: unknown }[]; NextToken?: unknown };
    // A 200 that is not SSM's JSON (a proxy's page, a cut-off body) must not read as "no parameters".
    if (answer.status === 200) {
      if (answer.json === undefined || typeof answer.json !== 'object') throw new SsmError('unreadable_answer', true, 200);
      return json;
    }
    // "com.amazonaws.ssm#AccessDeniedException" or "AccessDeniedException"
    const type = typeof json.__type === 'string' ? (json.__type.split('#').pop() ?? json.__type) : 'unknown_error';
    throw new SsmError(type, answer.status >= 500 || answer.status === 429 || RETRYABLE_TYPES.test(type), answer.status);
  }
}

/** SHA-256 and HMAC-SHA-256 on node:crypto, in the shape the signer takes. */
class NodeSha256 {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = this.fresh();
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(typeof data === 'string' ? data : toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', typeof this.secret === 'string' ? this.secret : toBuffer(this.secret));
  }
}

const toBuffer = (data: ArrayBuffer | ArrayBufferView): Buffer =>
  ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);
