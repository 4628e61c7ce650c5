import { startHttpFake, type RecordedRequest, type ScriptedResponse } from './http-fake';

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
  /** Messages Telegram accepted (answered ok), in order. */
  const delivered: { chatId: number; text: string }[] = [];
  let messageId = 1000;
  const webhook = { url: '', pending_update_count: 0, max_connections: 40, allowed_updates: undefined as string[] | undefined, has_custom_certificate: false };

  const fake = await startHttpFake((req: RecordedRequest): ScriptedResponse => {
    const match = /^\/bot([^/]+)\/(\w+)$/.exec(req.path);
    if (!match) return { status: 404, body: { ok: false, error_code: 404, description: 'Not Found' } };
    const [, token, method] = match as unknown as [string, string, string];
    if (token !== options.token) return { status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } };
    const params = (req.body ?? {}) as Record<string, unknown>;
    calls.push({ token, method, params });
    const scripted = scripts.get(method)?.shift();
    if (scripted && !scripted.pass) return scripted;
    const answer = normalAnswer(method, params);
    if (method === 'sendMessage' && answer.status === 200) delivered.push({ chatId: Number(params.chat_id), text: String(params.text) });
    return { ...answer, delayMs: scripted?.delayMs, after: scripted?.after };
  });

  function normalAnswer(method: string, params: Record<string, unknown>): ScriptedResponse {
    switch (method) {
      case 'sendMessage':
        return { status: 200, body: { ok: true, result: { message_id: ++messageId, date: Math.floor(Date.now() / 1000), chat: { id: params.chat_id, type: 'private' }, text: params.text } } };
      case 'setWebhook':
        Object.assign(webhook, { url: params.url, max_connections: params.max_connections, allowed_updates: params.allowed_updates });
        return { status: 200, body: { ok: true, result: true, description: 'Webhook was set' } };
      case 'deleteWebhook':
        webhook.url = '';
        return { status: 200, body: { ok: true, result: true, description: 'Webhook was deleted' } };
      case 'getMe':
        return { status: 200, body: { ok: true, result: { id: Number(options.token.split(':')[0]), is_bot: true, first_name: 'Support', username: 'acme_support_bot', can_join_groups: false, can_read_all_group_messages: false, supports_inline_queries: false } } };
      case 'getWebhookInfo':
        return { status: 200, body: { ok: true, result: { ...webhook } } };
      default:
        return { status: 400, body: { ok: false, error_code: 400, description: `Bad Request: method ${method} not faked` } };
    }
  }

  return {
    url: fake.url,
    calls,
    webhook,
    delivered,
    /** Texts Telegram accepted for a chat, in order (failed attempts left out). */
    deliveredTo: (chatId: number) => delivered.filter((d) => d.chatId === chatId).map((d) => d.text),
    /** Texts sent with sendMessage to a chat, in order (every attempt, also failed ones). */
    sentTo: (chatId: number) => calls.filter((c) => c.method === 'sendMessage' && c.params.chat_id === chatId).map((c) => String(c.params.text)),
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
