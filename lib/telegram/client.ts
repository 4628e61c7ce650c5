import type { File, Message, UserFromGetMe, WebhookInfo } from '@grammyjs/types';
import { HttpTransportError, postJson, type JsonResponse } from '../http/json-client';
import { TelegramApiError, TelegramNetworkError, TelegramResponseError } from './errors';

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

  /** The configured per-call timeout (callers may cut it to their deadline). */
  get timeoutMs(): number {
    return this.options.timeoutMs;
  }

  /**
   * Calls a Bot API method. Resolves with `result` only for a 2xx `ok:true` envelope; anything
   * else is a TelegramApiError (Telegram refused), TelegramResponseError (the answer is not a Bot
   * API envelope) or TelegramNetworkError (no answer).
   */
  async call<T>(method: string, params: Record<string, unknown>, timeoutMs = this.options.timeoutMs): Promise<T> {
    let response: JsonResponse;
    try {
      response = await postJson(`${this.options.apiBase}/bot${this.options.token}/${method}`, params, { timeoutMs: Math.min(timeoutMs, this.options.timeoutMs) });
    } catch (error) {
      throw new TelegramNetworkError(method, error instanceof HttpTransportError ? error.reason : 'network');
    }
    const body = response.json as BotApiResponse<T> | undefined;
    if (!body || typeof body !== 'object' || typeof body.ok !== 'boolean') throw new TelegramResponseError(method, response.status);
    if (body.ok && response.status >= 200 && response.status < 300) return body.result as T;
    const code = Number.isInteger(body.error_code) && (body.error_code as number) >= 400 ? (body.error_code as number) : response.status;
    // ok:false with neither an error code nor an error status is no Bot API answer either.
    if (code < 400) throw new TelegramResponseError(method, response.status);
    const description = typeof body.description === 'string' ? body.description.slice(0, 200) : `HTTP ${response.status}`;
    throw new TelegramApiError(method, code, description, positiveSeconds(body.parameters?.retry_after));
  }

  sendMessage(chatId: number, text: string, timeoutMs?: number): Promise<Message> {
    return this.call<Message>('sendMessage', { chat_id: chatId, text, link_preview_options: { is_disabled: true } }, timeoutMs);
  }

  setWebhook(params: SetWebhookParams): Promise<true> {
    return this.call<true>('setWebhook', { ...params });
  }

  /** Where a file can be downloaded (valid for at least an hour, up to Telegram's 20 MB bot limit). */
  getFile(fileId: string, timeoutMs?: number): Promise<File> {
    return this.call<File>('getFile', { file_id: fileId }, timeoutMs);
  }

  /** The download URL of a getFile path. It contains the bot token: never log it or put it in an error. */
  fileDownloadUrl(filePath: string): URL {
    return new URL(`${this.options.apiBase}/file/bot${this.options.token}/${filePath.split('/').map(encodeURIComponent).join('/')}`);
  }

  getMe(): Promise<UserFromGetMe> {
    return this.call<UserFromGetMe>('getMe', {});
  }

  getWebhookInfo(): Promise<WebhookInfo> {
    return this.call<WebhookInfo>('getWebhookInfo', {});
  }

  deleteWebhook(dropPendingUpdates: boolean): Promise<true> {
    return this.call<true>('deleteWebhook', { drop_pending_updates: dropPendingUpdates });
  }
}

/** `retry_after` only when Telegram gave a usable number of seconds. */
const positiveSeconds = (value: unknown): number | undefined => {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  return Number.isFinite(n) && n > 0 ? Math.min(n, 86_400) : undefined;
};
