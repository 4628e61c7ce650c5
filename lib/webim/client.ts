import { networkReason } from '../telegram/client';
import { WebimApiError, WebimNetworkError } from './errors';
import { buildVisitorMessage, webimErrorBodySchema, type VisitorMessageInput } from './wire';

export interface WebimClientOptions {
  apiUrl: string;
  accessToken: string;
  timeoutMs: number;
}

/** Posts visitor messages into the Webim Custom Channel. */
export class WebimClient {
  constructor(private readonly options: WebimClientOptions) {}

  /** Resolves on 2xx; throws WebimApiError / WebimNetworkError otherwise. */
  async sendVisitorMessage(input: VisitorMessageInput): Promise<void> {
    let response: Response;
    try {
      response = await fetch(this.options.apiUrl, {
        method: 'POST',
        headers: { authorization: `Token ${this.options.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(buildVisitorMessage(input)),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      throw new WebimNetworkError(networkReason(error));
    }
    if (response.ok) {
      await response.body?.cancel().catch(() => {});
      return;
    }
    let code: string | undefined;
    let desc: string | undefined;
    try {
      const parsed = webimErrorBodySchema.safeParse(await response.json());
      if (parsed.success) ({ error: code, desc } = parsed.data);
    } catch {
      // Not JSON: the status alone classifies it.
    }
    throw new WebimApiError(response.status, code, desc);
  }
}
