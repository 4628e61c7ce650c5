import { AwsCallError, type CredentialsProvider, envCredentials, SignedJsonClient } from '../aws/signed-json';

/**
 * Reads the stage's parameters from SSM Parameter Store with one signed, paged
 * GetParametersByPath walk (see lib/aws/signed-json for why not the SDK client).
 */

export { type AwsCredentials, type CredentialsProvider, envCredentials } from '../aws/signed-json';

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
export function ssmReaderFromEnv(
  env: Record<string, string | undefined>,
  credentials: CredentialsProvider = envCredentials(env),
): SsmReader {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new SsmError('no_region (set AWS_REGION)', false);
  return new SsmReader({ region, endpoint: env.AWS_ENDPOINT_URL_SSM ?? env.AWS_ENDPOINT_URL, credentials });
}

const PAGE_SIZE = 10; // GetParametersByPath's maximum

type Page = { Parameters?: { Name?: unknown; Value?: unknown }[]; NextToken?: unknown };

export class SsmReader {
  private readonly client: SignedJsonClient;

  constructor(options: SsmReaderOptions) {
    this.client = new SignedJsonClient({ ...options, service: 'ssm', targetPrefix: 'AmazonSSM', jsonVersion: '1.1' });
  }

  /** Every parameter directly under `path`, SecureStrings decrypted, all pages. */
  async parametersByPath(path: string): Promise<SsmParameter[]> {
    const out: SsmParameter[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.page({
        Path: path,
        Recursive: false,
        WithDecryption: true,
        MaxResults: PAGE_SIZE,
        ...(nextToken ? { NextToken: nextToken } : {}),
      });
      for (const p of page.Parameters ?? [])
        if (typeof p.Name === 'string' && typeof p.Value === 'string') out.push({ name: p.Name, value: p.Value });
      nextToken = typeof page.NextToken === 'string' && page.NextToken ? page.NextToken : undefined;
    } while (nextToken);
    return out;
  }

  private async page(input: Record<string, unknown>): Promise<Page> {
    try {
      return await this.client.call<Page>('GetParametersByPath', input);
    } catch (error) {
      if (error instanceof AwsCallError) throw new SsmError(error.code, error.retryable, error.status);
      throw error;
    }
  }
}
