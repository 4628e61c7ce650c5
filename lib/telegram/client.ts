import type { Message, WebhookInfo } from '@grammyjs/types';
import { TelegramApiError, TelegramNetworkError } from './errors';

export interface TelegramClientOptions {
  token: string;
  /** Bot API root without trailing slash, e.g. https://api.telegram.org. */
  apiBase: string;
  timeoutMs: number;
}

interface BotApiResponse<T> {
  ok: boolean;
  result?: T;
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

export interface SetWebhookParams {
  url: string;
  secret_token: string;
  allowed_updates: string[];
  max_connections: number;
  drop_pending_updates: boolean;
}

/**
 * A minimal Bot API client over fetch: JSON in, typed result out, every failure turned into
 * TelegramApiError or TelegramNetworkError. Retry policy is not its business (see lib/delivery).
 */
export class TelegramClient {
  constructor(private readonly options: TelegramClientOptions) {}

  async call<T>(method: string, params: Record<string, unknown>): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.options.apiBase}/bot${this.options.token}/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(params),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      throw new TelegramNetworkError(method, networkReason(error));
    }
    let body: BotApiResponse<T> | undefined;
    try {
      body = (await response.json()) as BotApiResponse<T>;
    } catch (error) {
      if (isTimeout(error)) throw new TelegramNetworkError(method, 'timeout');
      throw new TelegramApiError(method, response.status, response.ok ? 'malformed response body' : `HTTP ${response.status}`);
    }
    if (body.ok && response.ok) return body.result as T;
    throw new TelegramApiError(
      method,
      body.error_code ?? response.status,
      body.description ?? `HTTP ${response.status}`,
      body.parameters?.retry_after,
    );
  }

  sendMessage(chatId: number, text: string): Promise<Message> {
    return this.call<Message>('sendMessage', { chat_id: chatId, text, link_preview_options: { is_disabled: true } });
  }

  setWebhook(params: SetWebhookParams): Promise<true> {
    return this.call<true>('setWebhook', { ...params });
  }

  getWebhookInfo(): Promise<WebhookInfo> {
    return this.call<WebhookInfo>('getWebhookInfo', {});
  }

  deleteWebhook(dropPendingUpdates: boolean): Promise<true> {
    return this.call<true>('deleteWebhook', { drop_pending_updates: dropPendingUpdates });
  }
}

const isTimeout = (error: unknown) =>
  error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');

/** A short, token-free reason for a fetch failure (the underlying message may contain the URL). */
export function networkReason(error: unknown): string {
  if (isTimeout(error)) return 'timeout';
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  return typeof cause?.code === 'string' ? cause.code : 'network';
}
