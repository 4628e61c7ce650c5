import { getJson, HttpTransportError, type JsonResponse, postJson } from '../http/json-client';
import { WebimApiError, WebimNetworkError } from './errors';
import {
  buildKeyboardResponse,
  buildOperatorNote,
  buildRating,
  buildVisitorFile,
  buildVisitorMessage,
  type KeyboardButton,
  type VisitorFileInput,
  type VisitorMessageInput,
  webimErrorBodySchema,
} from './wire';

export interface WebimClientOptions {
  apiUrl: string;
  accessToken: string;
  timeoutMs: number;
}

/** Posts visitor messages into the Webim Custom Channel. */
export class WebimClient {
  constructor(private readonly options: WebimClientOptions) {}

  /** The configured per-call timeout (callers may cut it to their deadline). */
  get timeoutMs(): number {
    return this.options.timeoutMs;
  }

  /** Resolves on 2xx; throws WebimApiError / WebimNetworkError otherwise. `timeoutMs` may only shorten the configured one. */
  sendVisitorMessage(input: VisitorMessageInput, timeoutMs = this.options.timeoutMs): Promise<void> {
    return this.post(buildVisitorMessage(input), timeoutMs);
  }

  /** A visitor's file, as a link the desk downloads from; same answers as sendVisitorMessage. */
  sendVisitorFile(input: VisitorFileInput, timeoutMs = this.options.timeoutMs): Promise<void> {
    return this.post(buildVisitorFile(input), timeoutMs);
  }

  /** A note only operators see, in the visitor's chat (kind `for_operator`). */
  sendOperatorNote(input: { visitorId: string; noteId: string; text: string }, timeoutMs = this.options.timeoutMs): Promise<void> {
    return this.post(buildOperatorNote(input), timeoutMs);
  }

  /** The user pressed an operator's button (kind `keyboard_response`). */
  sendKeyboardResponse(
    input: Pick<VisitorMessageInput, 'visitorId' | 'name' | 'login' | 'language'> & { messageId: string; button: KeyboardButton },
    timeoutMs = this.options.timeoutMs,
  ): Promise<void> {
    return this.post(buildKeyboardResponse(input), timeoutMs);
  }

  /** The user rated the closed chat (kind `rating`, score 1–5 sent on Webim's −2…2 scale). */
  sendRating(
    input: Pick<VisitorMessageInput, 'visitorId' | 'name' | 'login' | 'language'> & {
      messageId: string;
      score: number;
      webimChatId?: string;
    },
    timeoutMs = this.options.timeoutMs,
  ): Promise<void> {
    return this.post(buildRating(input), timeoutMs);
  }

  private async post(body: unknown, timeoutMs: number): Promise<void> {
    const response = await this.exchange(
      // Not idempotent: whether Webim drops a repeat of a message id is not documented, so a
      // message Webim may have taken is never sent again inside one request (the ambiguous case).
      (options) => postJson(this.options.apiUrl, body, options),
      Math.min(timeoutMs, this.options.timeoutMs),
    );
    if (response.status >= 200 && response.status < 300) return;
    const parsed = webimErrorBodySchema.safeParse(response.json);
    throw new WebimApiError(response.status, parsed.success ? parsed.data.error : undefined, parsed.success ? parsed.data.desc : undefined);
  }

  /**
   * Checks that the endpoint answers at all, with a GET that creates nothing (no visitor, no
   * message). Resolves with the HTTP status; throws WebimNetworkError when there is no answer.
   */
  async probe(timeoutMs = this.options.timeoutMs): Promise<number> {
    return (await this.exchange((options) => getJson(this.options.apiUrl, options), timeoutMs)).status;
  }

  /** One authenticated exchange with the endpoint; no answer at all becomes WebimNetworkError. */
  private async exchange(
    send: (options: { headers: Record<string, string>; timeoutMs: number }) => Promise<JsonResponse>,
    timeoutMs: number,
  ): Promise<JsonResponse> {
    try {
      return await send({ headers: { authorization: `Token ${this.options.accessToken}` }, timeoutMs });
    } catch (error) {
      throw new WebimNetworkError(error instanceof HttpTransportError ? error.reason : 'network');
    }
  }
}
