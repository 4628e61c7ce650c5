import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { HttpTransportError, postBody } from '../http/json-client';

/**
 * One AWS JSON-protocol call (SSM, SQS), signed by `@smithy/signature-v4` (the AWS SDK's own
 * signer) and sent on the bridge's small HTTP client. The full SDK clients cost a large share of
 * every bundle and tens of milliseconds of each cold start for the one or two operations used.
 */

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export type CredentialsProvider = () => Promise<AwsCredentials>;

/**
 * AWS answered with an error, or not at all. `retryable`: throttling, a 5xx or no answer (retry
 * later); otherwise the call is refused (permissions, region, a queue that does not exist). The
 * message names the service, the error type and the status only.
 */
export class AwsCallError extends Error {
  override readonly name = 'AwsCallError';
  constructor(
    readonly service: string,
    readonly code: string,
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(`${service} call failed: ${code}${status ? ` (HTTP ${status})` : ''}`);
  }
}

/** Lambda's credentials: the execution role's keys in the environment. */
export function envCredentials(env: Record<string, string | undefined>): CredentialsProvider {
  return async () => {
    const accessKeyId = env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
    if (!accessKeyId || !secretAccessKey) throw new AwsCallError('aws', 'no_credentials_in_environment', false);
    return { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN || undefined };
  };
}

export interface SignedJsonOptions {
  /** The signing name and endpoint prefix: `ssm`, `sqs`. */
  service: string;
  region: string;
  /** Default `https://<service>.<region>.amazonaws.com` (`.com.cn` in China). */
  endpoint?: string;
  credentials: CredentialsProvider;
  /** `AmazonSSM`, `AmazonSQS`: the X-Amz-Target prefix. */
  targetPrefix: string;
  /** `1.1` for SSM, `1.0` for SQS. */
  jsonVersion: '1.0' | '1.1';
  timeoutMs?: number;
  /** Attempts for a retryable failure (the SDK's default is 3 too). */
  maxAttempts?: number;
}

const RETRYABLE_TYPES = /Throttl|TooManyRequests|RequestLimitExceeded|InternalServerError|InternalError|ServiceUnavailable|KmsThrottling/;

/** A client for one AWS service's JSON protocol. */
export class SignedJsonClient {
  readonly endpoint: URL;
  private readonly signer: SignatureV4;

  constructor(private readonly options: SignedJsonOptions) {
    const domain = options.region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
    this.endpoint = new URL(options.endpoint ?? `https://${options.service}.${options.region}.${domain}`);
    this.signer = new SignatureV4({
      service: options.service,
      region: options.region,
      credentials: options.credentials,
      sha256: NodeSha256,
    });
  }

  /** Calls `operation` with `input`, retrying throttling and outages with full jitter; resolves with the answer's JSON. */
  async call<T extends object>(
    operation: string,
    input: Record<string, unknown>,
    options: { timeoutMs?: number; maxAttempts?: number } = {},
  ): Promise<T> {
    const attempts = options.maxAttempts ?? this.options.maxAttempts ?? 3;
    const body = JSON.stringify(input);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.send<T>(operation, body, options.timeoutMs);
      } catch (error) {
        if (!(error instanceof AwsCallError) || !error.retryable || attempt >= attempts) throw error;
        // Full jitter on an exponential base, as the SDK's standard retry strategy does.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 100 * 2 ** attempt));
      }
    }
  }

  private async send<T extends object>(operation: string, body: string, timeoutMs?: number): Promise<T> {
    const { endpoint, options } = this;
    const signed = await this.signer.sign({
      method: 'POST',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      port: endpoint.port ? Number(endpoint.port) : undefined,
      path: endpoint.pathname,
      query: {},
      headers: {
        host: endpoint.host,
        'content-type': `application/x-amz-json-${options.jsonVersion}`,
        'x-amz-target': `${options.targetPrefix}.${operation}`,
      },
      body,
    });
    let answer: Awaited<ReturnType<typeof postBody>>;
    try {
      answer = await postBody(endpoint.toString(), Buffer.from(body), {
        headers: signed.headers,
        timeoutMs: timeoutMs ?? options.timeoutMs ?? 3000,
        // The calls made here are reads, or carry their own deduplication id (SQS FIFO sends).
        idempotent: true,
      });
    } catch (error) {
      if (error instanceof HttpTransportError) throw new AwsCallError(options.service, `no_answer_${error.reason}`, true);
      throw error;
    }
    // A 200 that is not the service's JSON (a proxy's page, a cut-off body) must not read as an empty answer.
    if (answer.status === 200) {
      if (answer.json === undefined || typeof answer.json !== 'object' || answer.json === null)
        throw new AwsCallError(options.service, 'unreadable_answer', true, 200);
      return answer.json as T;
    }
    const json = (answer.json ?? {}) as { __type?: unknown };
    // "com.amazonaws.ssm#AccessDeniedException" or "AccessDeniedException"
    const type = typeof json.__type === 'string' ? (json.__type.split('#').pop() ?? json.__type) : 'unknown_error';
    throw new AwsCallError(
      options.service,
      type,
      answer.status >= 500 || answer.status === 429 || RETRYABLE_TYPES.test(type),
      answer.status,
    );
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
    return this.secret === undefined
      ? createHash('sha256')
      : createHmac('sha256', typeof this.secret === 'string' ? this.secret : toBuffer(this.secret));
  }
}

const toBuffer = (data: ArrayBuffer | ArrayBufferView): Buffer =>
  ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);
