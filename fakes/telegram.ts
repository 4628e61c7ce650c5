import { type RecordedRequest, type ScriptedResponse, startHttpFake } from './http-fake';
import { multipartBoundary, parseMultipart } from './multipart';

export interface BotApiCall {
  token: string;
  method: string;
  params: Record<string, unknown>;
}

/**
 * A fake Bot API server: `/bot<token>/<method>` with JSON bodies, Telegram's response envelope,
 * scripted failures per method, and webhook state for setWebhook / getWebhookInfo.
 */
export async function startFakeTelegram(options: { token: string }) {
  const scripts = new Map<string, ScriptedResponse[]>();
  const calls: BotApiCall[] = [];
  /** Paths downloaded from the file endpoint. */
  const downloads: string[] = [];
  /** Files uploaded with multipart (sendPhoto, sendDocument, …), bytes as received. */
  const uploads: { method: string; chatId: number; caption?: string; field: string; name: string; contentType: string; bytes: Buffer }[] =
    [];
  /** Messages Telegram accepted (answered ok), in order; a business account's with its connection. */
  const delivered: { chatId: number; text: string; businessConnectionId?: string }[] = [];
  let messageId = 1000;
  const webhook = {
    url: '',
    pending_update_count: 0,
    max_connections: 40,
    allowed_updates: undefined as string[] | undefined,
    has_custom_certificate: false,
  };
  /** The command menus set, by language_code (`''` for the default menu). */
  const commands = new Map<string, { command: string; description: string }[]>();

  /** Business connections getBusinessConnection answers for (a BusinessConnection each, by id). */
  const businessConnections = new Map<string, Record<string, unknown>>();
  /** Files users "sent": getFile answers for them and /file/bot<token>/<path> serves their bytes. */
  const files = new Map<string, { path: string; bytes: Buffer; tooBig?: boolean }>();
  const fake = await startHttpFake((req: RecordedRequest): ScriptedResponse => {
    const download = /^\/file\/bot([^/]+)\/(.+)$/.exec(req.path);
    if (download) {
      downloads.push(download[2] as string);
      const file = [...files.values()].find((f) => f.path === decodeURIComponent(download[2] as string));
      if (download[1] !== options.token || !file) return { status: 404, body: { ok: false, error_code: 404, description: 'Not Found' } };
      return { status: 200, rawBody: file.bytes, contentType: 'application/octet-stream' };
    }
    const match = /^\/bot([^/]+)\/(\w+)$/.exec(req.path);
    if (!match) return { status: 404, body: { ok: false, error_code: 404, description: 'Not Found' } };
    const [, token, method] = match as unknown as [string, string, string];
    if (token !== options.token) return { status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } };
    const boundary = multipartBoundary(req.headers['content-type']);
    const form = boundary ? parseMultipart(req.raw, boundary) : undefined;
    const params = form ? form.fields : ((req.body ?? {}) as Record<string, unknown>);
    calls.push({ token, method, params });
    if (form?.file) uploads.push({ method, chatId: Number(form.fields.chat_id), caption: form.fields.caption, ...form.file });
    const scripted = scripts.get(method)?.shift();
    if (scripted && !scripted.pass) return scripted;
    const answer = normalAnswer(method, params);
    const business = params.business_connection_id ? { businessConnectionId: String(params.business_connection_id) } : {};
    if (method === 'sendMessage' && answer.status === 200)
      delivered.push({ chatId: Number(params.chat_id), text: String(params.text), ...business });
    if (form?.file && answer.status === 200)
      delivered.push({
        chatId: Number(params.chat_id),
        text: `[${method} ${form.file.name}${params.caption ? ` | ${params.caption}` : ''}]`,
        ...business,
      });
    return { ...answer, delayMs: scripted?.delayMs, after: scripted?.after };
  });

  function normalAnswer(method: string, params: Record<string, unknown>): ScriptedResponse {
    switch (method) {
      case 'sendMessage':
        return {
          status: 200,
          body: {
            ok: true,
            result: {
              message_id: ++messageId,
              date: Math.floor(Date.now() / 1000),
              chat: { id: params.chat_id, type: 'private' },
              text: params.text,
            },
          },
        };
      case 'setWebhook':
        Object.assign(webhook, { url: params.url, max_connections: params.max_connections, allowed_updates: params.allowed_updates });
        return { status: 200, body: { ok: true, result: true, description: 'Webhook was set' } };
      case 'setMyCommands':
        commands.set(String(params.language_code ?? ''), params.commands as { command: string; description: string }[]);
        return { status: 200, body: { ok: true, result: true } };
      case 'deleteWebhook':
        webhook.url = '';
        return { status: 200, body: { ok: true, result: true, description: 'Webhook was deleted' } };
      case 'sendPhoto':
      case 'sendVoice':
      case 'sendVideo':
      case 'sendDocument':
        return {
          status: 200,
          body: {
            ok: true,
            result: { message_id: ++messageId, date: Math.floor(Date.now() / 1000), chat: { id: Number(params.chat_id), type: 'private' } },
          },
        };
      case 'getFile': {
        const file = files.get(String(params.file_id));
        if (!file) return { status: 400, body: { ok: false, error_code: 400, description: 'Bad Request: invalid file_id' } };
        if (file.tooBig) return { status: 400, body: { ok: false, error_code: 400, description: 'Bad Request: file is too big' } };
        return {
          status: 200,
          body: {
            ok: true,
            result: { file_id: params.file_id, file_unique_id: `u-${params.file_id}`, file_size: file.bytes.length, file_path: file.path },
          },
        };
      }
      case 'getMe':
        return {
          status: 200,
          body: {
            ok: true,
            result: {
              id: Number(options.token.split(':')[0]),
              is_bot: true,
              first_name: 'Support',
              username: 'acme_support_bot',
              // Bot API 10.5's BotFullInfo: the bot-only fields live here, no longer in User.
              can_join_groups: false,
              can_read_all_group_messages: false,
              supports_inline_queries: false,
              active_usernames: ['acme_support_bot'],
              has_topic_sidebar: false,
            },
          },
        };
      case 'getBusinessConnection': {
        const connection = businessConnections.get(String(params.business_connection_id));
        if (!connection)
          return { status: 400, body: { ok: false, error_code: 400, description: 'Bad Request: business connection not found' } };
        return { status: 200, body: { ok: true, result: connection } };
      }
      case 'getWebhookInfo':
        return { status: 200, body: { ok: true, result: { ...webhook } } };
      case 'answerCallbackQuery':
      case 'readBusinessMessage':
      case 'setMessageReaction':
        return { status: 200, body: { ok: true, result: true } };
      case 'editMessageText':
        return {
          status: 200,
          body: {
            ok: true,
            result: {
              message_id: Number(params.message_id),
              date: Math.floor(Date.now() / 1000),
              chat: { id: Number(params.chat_id), type: 'private' },
              text: params.text,
            },
          },
        };
      default:
        return { status: 400, body: { ok: false, error_code: 400, description: `Bad Request: method ${method} not faked` } };
    }
  }

  return {
    url: fake.url,
    calls,
    webhook,
    commands,
    delivered,
    files,
    businessConnections,
    downloads,
    uploads,
    /** Registers a file as if a user had sent it: getFile and the file endpoint will serve it. */
    addFile(fileId: string, bytes: Buffer, options: { path?: string; tooBig?: boolean } = {}) {
      files.set(fileId, { path: options.path ?? `documents/${fileId}.bin`, bytes, tooBig: options.tooBig });
    },
    /** Texts Telegram accepted for a bot chat, in order (failed attempts left out). */
    deliveredTo: (chatId: number) => delivered.filter((d) => d.chatId === chatId && !d.businessConnectionId).map((d) => d.text),
    /** Texts Telegram accepted for a chat of a business account (sent through its connection), in order. */
    deliveredThrough: (businessConnectionId: string, chatId: number) =>
      delivered.filter((d) => d.chatId === chatId && d.businessConnectionId === businessConnectionId).map((d) => d.text),
    /** Texts sent with sendMessage to a chat, in order (every attempt, also failed ones). */
    sentTo: (chatId: number) =>
      calls.filter((c) => c.method === 'sendMessage' && c.params.chat_id === chatId).map((c) => String(c.params.text)),
    /** The next calls of `method` get these answers, in order, before normal service resumes. */
    script(method: string, ...responses: ScriptedResponse[]) {
      scripts.set(method, [...(scripts.get(method) ?? []), ...responses]);
    },
    close: fake.close,
  };
}

export const telegramError = (status: number, description: string, retryAfter?: number): ScriptedResponse => ({
  status,
  body: { ok: false, error_code: status, description, ...(retryAfter !== undefined ? { parameters: { retry_after: retryAfter } } : {}) },
});

export type FakeTelegram = Awaited<ReturnType<typeof startFakeTelegram>>;
