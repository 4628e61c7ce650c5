import { randomBytes } from 'node:crypto';
import https from 'node:https';
import type { Readable } from 'node:stream';
import type {
  BusinessConnection,
  File,
  InlineKeyboardMarkup,
  Message,
  MessageEntity,
  ReactionTypeEmoji,
  WebhookInfo,
} from '@grammyjs/types';
import { HttpTransportError, type JsonResponse, postJson, readJsonBody } from '../http/json-client';
import { http } from '../http/node-http';
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
 * TelegramApiError or TelegramNetworkError. Retry policy is not its business (see ./retry).
 */
/**
 * What `getMe` answers: since Bot API 10.5 a BotFullInfo, which alone carries the bot-only fields
 * (they left `User`). Typed here with the fields the bridge reads; the settings are optional
 * because an older Bot API server (or a local one) may not send them.
 */
export interface BotFullInfo {
  id: number;
  is_bot: true;
  first_name: string;
  username: string;
  /** Whether the bot may be added to groups (the bridge ignores group messages). */
  can_join_groups?: boolean;
  can_read_all_group_messages?: boolean;
  supports_inline_queries?: boolean;
  /** Bot API 10.5: how button presses arrive (`default`, `auto`, `inline`: with inline_message_id, no message). */
  callback_query_mode?: string;
}

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
      response = await postJson(this.methodUrl(method).toString(), params, { timeoutMs: Math.min(timeoutMs, this.options.timeoutMs) });
    } catch (error) {
      throw new TelegramNetworkError(
        method,
        error instanceof HttpTransportError ? error.reason : 'network',
        error instanceof HttpTransportError && error.mayHaveArrived,
      );
    }
    return resultOf<T>(method, response.status, response.json);
  }

  /**
   * Uploads a file with multipart/form-data, streaming it from `file.body` (never buffered whole).
   * Same answers as `call`; a source that breaks off or grows past `maxBytes` rejects with the
   * error `onSourceError` makes of it.
   */
  async sendFile<T = Message>(
    method: 'sendPhoto' | 'sendVoice' | 'sendVideo' | 'sendDocument',
    fields: Record<string, string>,
    file: { field: string; name: string; mediaType: string; body: Readable; length?: number; maxBytes: number },
    options: { timeoutMs: number; onSourceError: (reason: 'too_large' | 'aborted') => Error },
  ): Promise<T> {
    const boundary = `----bridge${randomBytes(12).toString('hex')}`;
    const part = (headers: string) => `--${boundary}\r\n${headers}\r\n\r\n`;
    const safeName = file.name.replace(/["\r\n\\]/g, '_');
    const head = Buffer.from(
      Object.entries(fields)
        .map(([k, v]) => `${part(`Content-Disposition: form-data; name="${k}"`)}${v}\r\n`)
        .join('') + part(`Content-Disposition: form-data; name="${file.field}"; filename="${safeName}"\r\nContent-Type: ${file.mediaType}`),
      'utf8',
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const url = this.methodUrl(method);
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        file.body.destroy();
        reject(error);
      };
      const headers: Record<string, string | number> = {
        'content-type': `multipart/form-data; boundary=${boundary}`,
        accept: 'application/json',
      };
      if (file.length !== undefined) headers['content-length'] = head.length + file.length + tail.length;
      const req = transport.request(url, { method: 'POST', headers }, (res) => {
        readJsonBody(res).then(
          (json) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            try {
              resolve(resultOf<T>(method, res.statusCode ?? 0, json));
            } catch (error) {
              reject(error);
            }
          },
          () => fail(new TelegramNetworkError(method, 'response_aborted')),
        );
      });
      const timer = setTimeout(() => fail(new TelegramNetworkError(method, 'timeout')), options.timeoutMs);
      req.on('error', (error: NodeJS.ErrnoException) =>
        fail(new TelegramNetworkError(method, typeof error.code === 'string' ? error.code : 'network')),
      );
      let sent = 0;
      req.write(head);
      file.body.on('data', (chunk: Buffer) => {
        sent += chunk.length;
        if (sent > file.maxBytes) return fail(options.onSourceError('too_large'));
        if (!req.write(chunk)) {
          file.body.pause();
          req.once('drain', () => file.body.resume());
        }
      });
      file.body.on('error', () => fail(options.onSourceError('aborted')));
      file.body.on('end', () => {
        if (file.length !== undefined && sent !== file.length) return fail(options.onSourceError('aborted'));
        req.end(tail);
      });
    });
  }

  /**
   * Sends a plain text (never a parse mode: user content must not be able to break it), with
   * optional entities (a bold operator name) and an inline keyboard.
   */
  sendMessage(
    chatId: number,
    text: string,
    timeoutMs?: number,
    extra: { entities?: MessageEntity[]; reply_markup?: InlineKeyboardMarkup; business_connection_id?: string } = {},
  ): Promise<Message> {
    return this.call<Message>('sendMessage', { chat_id: chatId, text, link_preview_options: { is_disabled: true }, ...extra }, timeoutMs);
  }

  /** Answers a button press (within Telegram's time), optionally with a short notice. */
  answerCallbackQuery(callbackQueryId: string, timeoutMs?: number): Promise<true> {
    return this.call<true>('answerCallbackQuery', { callback_query_id: callbackQueryId }, timeoutMs);
  }

  /** Replaces a message's text (and drops its inline keyboard): the keyboard message shows the choice. */
  editMessageText(
    chatId: number,
    messageId: number,
    text: string,
    timeoutMs?: number,
    entities?: MessageEntity[],
    businessConnectionId?: string,
  ): Promise<Message | true> {
    return this.call<Message | true>(
      'editMessageText',
      {
        chat_id: chatId,
        message_id: messageId,
        text,
        ...(entities ? { entities } : {}),
        ...(businessConnectionId ? { business_connection_id: businessConnectionId } : {}),
      },
      timeoutMs,
    );
  }

  /** A business connection's current state (the bot's view of a connected account). */
  getBusinessConnection(businessConnectionId: string, timeoutMs?: number): Promise<BusinessConnection> {
    return this.call<BusinessConnection>('getBusinessConnection', { business_connection_id: businessConnectionId }, timeoutMs);
  }

  /** Marks a customer's message (and so the chat up to it) read on behalf of a business account (needs `can_read_messages`). */
  readBusinessMessage(businessConnectionId: string, chatId: number, messageId: number, timeoutMs?: number): Promise<true> {
    return this.call<true>(
      'readBusinessMessage',
      { business_connection_id: businessConnectionId, chat_id: chatId, message_id: messageId },
      timeoutMs,
    );
  }

  /** Sets the bot's reaction on a message (one emoji; Bot API setMessageReaction). */
  setMessageReaction(chatId: number, messageId: number, emoji: ReactionTypeEmoji['emoji'], timeoutMs?: number): Promise<true> {
    return this.call<true>(
      'setMessageReaction',
      { chat_id: chatId, message_id: messageId, reaction: [{ type: 'emoji', emoji }] },
      timeoutMs,
    );
  }

  /**
   * The bot's command menu for users whose Telegram is in `languageCode` (two letters), or for
   * everyone else when it is undefined (Telegram's own fallback).
   */
  setMyCommands(commands: { command: string; description: string }[], languageCode?: string): Promise<true> {
    return this.call<true>('setMyCommands', { commands, ...(languageCode ? { language_code: languageCode } : {}) });
  }

  setWebhook(params: SetWebhookParams): Promise<true> {
    return this.call<true>('setWebhook', { ...params });
  }

  /** Where a file can be downloaded (valid for at least an hour, up to Telegram's 20 MB bot limit). */
  getFile(fileId: string, timeoutMs?: number): Promise<File> {
    return this.call<File>('getFile', { file_id: fileId }, timeoutMs);
  }

  /** A Bot API method's URL. It contains the bot token: never log it or put it in an error. */
  private methodUrl(method: string): URL {
    return new URL(`${this.options.apiBase}/bot${this.options.token}/${method}`);
  }

  /** The download URL of a getFile path. It contains the bot token: never log it or put it in an error. */
  fileDownloadUrl(filePath: string): URL {
    return new URL(`${this.options.apiBase}/file/bot${this.options.token}/${filePath.split('/').map(encodeURIComponent).join('/')}`);
  }

  /** The bot's own account and settings (Bot API 10.5 answers a BotFullInfo). */
  getMe(): Promise<BotFullInfo> {
    return this.call<BotFullInfo>('getMe', {});
  }

  getWebhookInfo(): Promise<WebhookInfo> {
    return this.call<WebhookInfo>('getWebhookInfo', {});
  }

  deleteWebhook(dropPendingUpdates: boolean): Promise<true> {
    return this.call<true>('deleteWebhook', { drop_pending_updates: dropPendingUpdates });
  }
}

/** The result of a Bot API answer, or the error it amounts to (see TelegramClient.call). */
function resultOf<T>(method: string, status: number, json: unknown): T {
  const body = json as BotApiResponse<T> | undefined;
  if (!body || typeof body !== 'object' || typeof body.ok !== 'boolean') throw new TelegramResponseError(method, status);
  if (body.ok && status >= 200 && status < 300) return body.result as T;
  const code = Number.isInteger(body.error_code) && (body.error_code as number) >= 400 ? (body.error_code as number) : status;
  // ok:false with neither an error code nor an error status is no Bot API answer either.
  if (code < 400) throw new TelegramResponseError(method, status);
  const description = typeof body.description === 'string' ? body.description.slice(0, 200) : `HTTP ${status}`;
  throw new TelegramApiError(method, code, description, positiveSeconds(body.parameters?.retry_after));
}

/** `retry_after` only when Telegram gave a usable number of seconds. */
const positiveSeconds = (value: unknown): number | undefined => {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  return Number.isFinite(n) && n > 0 ? Math.min(n, 86_400) : undefined;
};
