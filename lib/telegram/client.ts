import type { Message, WebhookInfo } from '@grammyjs/types';
import { HttpTransportError, postJson, type JsonResponse } from '../http/json-client';
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
 * A minimal Bot API client: JSON in, typed result out, every failure turned into
 * TelegramApiError or TelegramNetworkError. Retry policy is not its business (see lib/delivery).
 */
export class TelegramClient {
  constructor(private readonly options: TelegramClientOptions) {}

  async call<T>(method: string, params: Record<string, unknown>): Promise<T> {
    let response: JsonResponse;
    try {
      response = await postJson(`${this.options.apiBase}/bot${this.options.token}/${method}`, params, { timeoutMs: this.options.timeoutMs });
    } catch (error) {
      throw new TelegramNetworkError(method, error instanceof HttpTransportError ? error.reason : 'network');
    }
    const body = response.json as BotApiResponse<T> | undefined;
    if (body?.ok && response.status >= 200 && response.status < 300) return body.result as T;
    if (!body || typeof body !== 'object') {
      throw new TelegramApiError(method, response.status, response.status < 300 ? 'malformed response body' : `HTTP ${response.status}`);
    }
    throw new TelegramApiError(method, body.error_code ?? response.status, body.description ?? `HTTP ${response.status}`, body.parameters?.retry_after);
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
