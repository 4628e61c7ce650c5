import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type LoopbackServer, startLoopbackServer } from '../../fakes/loopback-server';
import { multipartBoundary, parseMultipart } from '../../fakes/multipart';
import { BusinessAccountSimulator } from './business';
import type { SandboxEventBus } from './events';
import { OrderedRedelivery, postToBridge } from './redelivery';
import { type SampleKind, sampleFile } from './samples';
import { fileUpdate, membershipUpdate, reactionUpdate, type SimUserIdentity, textUpdate } from './wire';

export interface ChatLine {
  id: string;
  from: 'user' | 'bot';
  text: string;
  time: string;
  /** A file in the line: its name and type, and where the page can fetch it. */
  file?: { name: string; mediaType: string; url: string };
  /** For user messages: where the update is on its way to the bridge. */
  status?: 'sending' | 'retrying' | 'delivered';
  /** For bot messages with an inline keyboard: its buttons, rows kept (pressing one sends a callback_query). */
  buttons?: { text: string; data: string }[][];
  /** The bot's reaction on a user message (DELIVERY_REACTION: Webim has it). */
  botReaction?: string;
  /** The user's reaction on a bot message (sent to the bot as message_reaction). */
  userReaction?: string;
}

export interface SimUser extends SimUserIdentity {
  blockedBot: boolean;
  lines: ChatLine[];
}

export interface TelegramFaults {
  /** Answer every other sendMessage with 429 and a short retry_after. */
  rateLimit: boolean;
  /** Every send answers 502 (Telegram having an outage). */
  down: boolean;
}

const RATE_LIMIT_RETRY_AFTER_S = 2;

/**
 * A simulated Telegram: a Bot API server the bridge calls (sendMessage and the webhook methods),
 * and the webhook sender that posts each user's updates to the bridge with the secret-token
 * header — one at a time per chat, redelivered until answered 2xx, as Telegram does.
 */
export class TelegramSimulator {
  readonly users: SimUser[] = [];
  readonly faults: TelegramFaults = { rateLimit: false, down: false };
  readonly bot = { id: 7_000_000_001, username: 'sandbox_support_bot' };
  private server?: LoopbackServer;
  private nextUpdateId = 500_000_000 + Math.floor(Math.random() * 1000) * 1000;
  private readonly nextMessageId = new Map<number, number>();
  private sendCount = 0;
  private lastUpdate?: { chatId: number; body: { update_id: number } };
  private readonly redelivery = new OrderedRedelivery({ baseDelayMs: 1000, maxDelayMs: 4000, honourRetryAfter: false });
  private webhook = { url: '', secret: '', maxConnections: 40, allowedUpdates: [] as string[] };
  /** Files users sent (served by getFile and the file endpoint) and files the bot sent (shown in the chat). */
  private readonly files = new Map<string, { path: string; bytes: Buffer; mediaType: string }>();
  readonly received = new Map<string, { name: string; mediaType: string; bytes: Buffer }>();
  private nextFile = 1;

  /** A Telegram Business account that can connect the bot (its customers are the sandbox's users). */
  readonly business: BusinessAccountSimulator;

  constructor(
    private readonly bus: SandboxEventBus,
    private readonly token: string,
  ) {
    this.business = new BusinessAccountSimulator(
      { users: this.users, nextUpdateId: () => this.nextUpdateId++, deliver: (chatId, body, line) => this.deliver(chatId, body, line) },
      bus,
    );
  }

  /** Starts the Bot API server on loopback; returns its base URL (the bridge's TELEGRAM_API_BASE). */
  async start(): Promise<string> {
    this.server = await startLoopbackServer((req, res) => void this.handleBotApi(req, res));
    return this.server.url;
  }

  /** Where updates go, as setWebhook would configure it. */
  useWebhook(url: string, secret: string): void {
    this.webhook = { ...this.webhook, url, secret };
  }

  addUser(identity: Omit<SimUserIdentity, 'chatId'>): SimUser {
    const user: SimUser = { chatId: 100_000_001 + this.users.length * 7919, ...identity, blockedBot: false, lines: [] };
    this.users.push(user);
    this.bus.emit('sandbox', 'user_added', { chat_id: user.chatId });
    return user;
  }

  /** The user switches their Telegram app's language (undefined: none sent); their next update carries it. */
  setLanguage(chatId: number, languageCode: string | undefined): void {
    this.user(chatId).languageCode = languageCode;
    this.bus.emit('sandbox', 'user_language_changed', { chat_id: chatId, language_code: languageCode ?? 'none' });
  }

  user(chatId: number): SimUser {
    const user = this.users.find((u) => u.chatId === chatId);
    if (!user) throw new Error(`no simulated user ${chatId}`);
    return user;
  }

  /** The user types a message (or a command such as /start) in their Telegram app. */
  sendAsUser(chatId: number, text: string): void {
    const user = this.user(chatId);
    const messageId = (this.nextMessageId.get(chatId) ?? 0) + 1;
    this.nextMessageId.set(chatId, messageId);
    const line: ChatLine = { id: `u-${messageId}`, from: 'user', text, time: new Date().toISOString(), status: 'sending' };
    user.lines.push(line);
    this.deliver(chatId, textUpdate(user, this.nextUpdateId++, messageId, text), line);
  }

  /** The user presses a button of an inline keyboard: Telegram sends the bot a callback_query. */
  pressButton(chatId: number, lineId: string, data: string): void {
    const user = this.user(chatId);
    const line = user.lines.find((l) => l.id === lineId);
    const button = line?.buttons?.flat().find((b) => b.data === data);
    if (!line || !button) throw new Error('no such button');
    const messageId = Number(line.id.replace(/^b-/, ''));
    const update = {
      update_id: this.nextUpdateId++,
      callback_query: {
        id: `${Date.now()}${randomBytes(3).readUIntBE(0, 3)}`,
        from: {
          id: user.chatId,
          is_bot: false,
          first_name: user.firstName,
          ...(user.lastName ? { last_name: user.lastName } : {}),
          ...(user.username ? { username: user.username } : {}),
          ...(user.languageCode ? { language_code: user.languageCode } : {}),
        },
        chat_instance: String(-user.chatId),
        data,
        message: {
          message_id: messageId,
          from: { id: this.bot.id, is_bot: true, first_name: 'Sandbox Support', username: this.bot.username },
          chat: { id: user.chatId, type: 'private', first_name: user.firstName },
          date: Math.floor(Date.parse(line.time) / 1000),
          text: line.text,
          reply_markup: { inline_keyboard: line.buttons?.map((row) => row.map((b) => ({ text: b.text, callback_data: b.data }))) },
        },
      },
    };
    this.deliver(chatId, update);
  }

  /**
   * The user reacts to a bot message with an emoji, or takes the reaction back (empty): Telegram
   * sends the bot a message_reaction update with the old and the new reaction.
   */
  reactAsUser(chatId: number, lineId: string, emoji: string): void {
    const user = this.user(chatId);
    const line = user.lines.find((l) => l.id === lineId && l.from === 'bot');
    if (!line) throw new Error('no such bot message');
    const old = line.userReaction;
    if ((old ?? '') === emoji) return;
    if (emoji) line.userReaction = emoji;
    else delete line.userReaction;
    this.deliver(chatId, reactionUpdate(user, this.nextUpdateId++, Number(line.id.replace(/^b-/, '')), old, emoji || undefined));
  }

  /** The user sends one of the sample files (with an optional caption), as Telegram delivers it. */
  sendFileAsUser(chatId: number, kind: SampleKind, caption?: string): void {
    const user = this.user(chatId);
    const messageId = (this.nextMessageId.get(chatId) ?? 0) + 1;
    this.nextMessageId.set(chatId, messageId);
    const sample = sampleFile(kind, 'user');
    const fileId = `SBX${kind.toUpperCase()}${randomBytes(9).toString('base64url')}`;
    this.files.set(fileId, {
      path: `${kind === 'photo' ? 'photos' : kind === 'voice' ? 'voice' : 'documents'}/file_${this.nextFile++}${sample.name.slice(sample.name.lastIndexOf('.'))}`,
      bytes: sample.bytes,
      mediaType: sample.mediaType,
    });
    const line: ChatLine = {
      id: `u-${messageId}`,
      from: 'user',
      text: caption ?? '',
      time: new Date().toISOString(),
      status: 'sending',
      file: { name: sample.name, mediaType: sample.mediaType, url: `/sandbox/api/telegram-files/${fileId}` },
    };
    this.received.set(fileId, { name: sample.name, mediaType: sample.mediaType, bytes: sample.bytes });
    user.lines.push(line);
    const telegramKind = kind === 'pdf' ? 'document' : kind;
    if (kind === 'sticker') user.lines.at(-1)!.text = '👍';
    this.deliver(
      chatId,
      fileUpdate(
        user,
        this.nextUpdateId++,
        messageId,
        { kind: telegramKind, fileId, name: sample.name, mediaType: sample.mediaType, size: sample.bytes.length },
        caption,
      ),
      line,
    );
  }

  /** The user blocks or unblocks the bot: Telegram tells the bot with my_chat_member. */
  setBlocked(chatId: number, blocked: boolean): void {
    const user = this.user(chatId);
    user.blockedBot = blocked;
    this.deliver(chatId, membershipUpdate(user, this.nextUpdateId++, this.bot, blocked ? 'kicked' : 'member'));
  }

  /** Sends the last update again, unchanged (same update_id), as a duplicate delivery. */
  resendLast(): boolean {
    if (!this.lastUpdate) return false;
    this.deliver(this.lastUpdate.chatId, this.lastUpdate.body, undefined, true);
    return true;
  }

  async stop(): Promise<void> {
    this.redelivery.stop();
    await this.server?.close();
  }

  private deliver(chatId: number, body: { update_id: number }, line?: ChatLine, duplicate = false): void {
    if (!duplicate) this.lastUpdate = { chatId, body };
    const payload = JSON.stringify(body);
    void this.redelivery.enqueue(String(chatId), async (attempt) => {
      const started = Date.now();
      const { status } = await postToBridge(this.webhook.url, payload, { 'x-telegram-bot-api-secret-token': this.webhook.secret });
      const ok = status >= 200 && status < 300;
      if (line) line.status = ok ? 'delivered' : 'retrying';
      this.bus.emit('telegram', 'update_delivered', {
        update_id: body.update_id,
        chat_id: chatId,
        attempt,
        status,
        duplicate,
        ms: Date.now() - started,
        will_retry: !ok,
      });
      return { status };
    });
  }

  private async handleBotApi(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const download = /^\/file\/bot([^/]+)\/(.+)$/.exec(req.url ?? '');
    if (download) {
      const path = decodeURIComponent(download[2] as string);
      const file = [...this.files.values()].find((f) => f.path === path);
      this.bus.emit('telegram', 'file_downloaded', { status: file && download[1] === this.token ? 200 : 404, size: file?.bytes.length });
      if (!file || download[1] !== this.token) return reply(404, { ok: false, error_code: 404, description: 'Not Found' });
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.bytes.length });
      return void res.end(file.bytes);
    }
    const match = /^\/bot([^/]+)\/(\w+)$/.exec(req.url ?? '');
    if (!match || match[1] !== this.token) return reply(401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const method = match[2] as string;
    let params: Record<string, unknown> = {};
    const boundary = multipartBoundary(req.headers['content-type']);
    const form = boundary ? parseMultipart(Buffer.concat(chunks), boundary) : undefined;
    try {
      params = form ? form.fields : chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
    } catch {
      return reply(400, { ok: false, error_code: 400, description: 'Bad Request: invalid JSON' });
    }
    if (this.business.handle(method, params, form?.file, reply)) return;
    switch (method) {
      case 'sendMessage':
        return this.sendMessage(params, reply);
      case 'sendPhoto':
      case 'sendDocument':
      case 'sendVoice':
      case 'sendVideo':
        return this.sendFile(method, params, form?.file, reply);
      case 'getFile': {
        const file = this.files.get(String(params.file_id));
        if (!file) return reply(400, { ok: false, error_code: 400, description: 'Bad Request: invalid file_id' });
        return reply(200, {
          ok: true,
          result: { file_id: params.file_id, file_unique_id: `u-${params.file_id}`, file_size: file.bytes.length, file_path: file.path },
        });
      }
      case 'setMessageReaction': {
        const user = this.users.find((u) => u.chatId === Number(params.chat_id));
        const line = user?.lines.find((l) => l.id === `u-${Number(params.message_id)}`);
        if (!line) return reply(400, { ok: false, error_code: 400, description: 'Bad Request: message to react not found' });
        const [first] = (params.reaction as { type?: string; emoji?: string }[] | undefined) ?? [];
        if (first?.emoji) line.botReaction = first.emoji;
        else delete line.botReaction;
        this.bus.emit('telegram', 'reaction_set', { chat_id: user?.chatId, message_id: Number(params.message_id), status: 200 });
        return reply(200, { ok: true, result: true });
      }
      case 'answerCallbackQuery':
        this.bus.emit('telegram', 'button_answered', { status: 200 });
        return reply(200, { ok: true, result: true });
      case 'editMessageText': {
        const user = this.users.find((u) => u.chatId === Number(params.chat_id));
        const line = user?.lines.find((l) => l.id === `b-${Number(params.message_id)}`);
        if (!line) return reply(400, { ok: false, error_code: 400, description: 'Bad Request: message to edit not found' });
        line.text = String(params.text ?? '');
        delete line.buttons; // no reply_markup given: the keyboard goes
        this.bus.emit('telegram', 'message_edited', { chat_id: user?.chatId, status: 200 });
        return reply(200, {
          ok: true,
          result: {
            message_id: Number(params.message_id),
            chat: { id: user?.chatId, type: 'private' },
            date: Math.floor(Date.now() / 1000),
            text: line.text,
          },
        });
      }
      case 'getMe':
        return reply(200, {
          ok: true,
          result: { id: this.bot.id, is_bot: true, first_name: 'Sandbox Support', username: this.bot.username },
        });
      case 'setWebhook':
        this.webhook = { ...this.webhook, url: String(params.url ?? ''), secret: String(params.secret_token ?? '') };
        return reply(200, { ok: true, result: true, description: 'Webhook was set' });
      case 'deleteWebhook':
        this.webhook.url = '';
        return reply(200, { ok: true, result: true, description: 'Webhook was deleted' });
      case 'getWebhookInfo':
        return reply(200, {
          ok: true,
          result: {
            url: this.webhook.url,
            has_custom_certificate: false,
            pending_update_count: 0,
            max_connections: this.webhook.maxConnections,
          },
        });
      default:
        return reply(404, { ok: false, error_code: 404, description: 'Not Found: method not simulated' });
    }
  }

  /** sendPhoto / sendDocument / sendVoice / sendVideo: the bot sends the user a file (multipart upload). */
  private sendFile(
    method: string,
    params: Record<string, unknown>,
    file: { name: string; contentType: string; bytes: Buffer } | undefined,
    reply: (status: number, body: unknown) => void,
  ): void {
    const chatId = Number(params.chat_id);
    const user = this.users.find((u) => u.chatId === chatId);
    const answer = (status: number, body: unknown, reason?: string) => {
      this.bus.emit('telegram', 'send_file', { chat_id: chatId, method, status, ...(reason ? { reason } : {}), size: file?.bytes.length });
      reply(status, body);
    };
    if (!user) return answer(400, { ok: false, error_code: 400, description: 'Bad Request: chat not found' }, 'chat_not_found');
    if (user.blockedBot)
      return answer(403, { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' }, 'blocked');
    if (this.faults.down) return answer(502, { ok: false, error_code: 502, description: 'Bad Gateway' }, 'telegram_down');
    if (!file?.bytes.length)
      return answer(400, { ok: false, error_code: 400, description: 'Bad Request: there is no file in the request' }, 'no_file');
    const key = `sent-${this.nextFile++}`;
    this.received.set(key, { name: file.name, mediaType: file.contentType, bytes: file.bytes });
    const messageId = (this.nextMessageId.get(chatId) ?? 0) + 1;
    this.nextMessageId.set(chatId, messageId);
    const caption = typeof params.caption === 'string' ? params.caption : '';
    user.lines.push({
      id: `b-${messageId}`,
      from: 'bot',
      text: caption,
      time: new Date().toISOString(),
      file: { name: file.name, mediaType: file.contentType, url: `/sandbox/api/telegram-files/${key}` },
    });
    answer(200, {
      ok: true,
      result: {
        message_id: messageId,
        chat: { id: chatId, type: 'private', first_name: user.firstName },
        date: Math.floor(Date.now() / 1000),
        ...(caption ? { caption } : {}),
      },
    });
  }

  private sendMessage(params: Record<string, unknown>, reply: (status: number, body: unknown) => void): void {
    const chatId = Number(params.chat_id);
    const text = typeof params.text === 'string' ? params.text : '';
    const user = this.users.find((u) => u.chatId === chatId);
    const answer = (status: number, body: unknown, reason?: string) => {
      this.bus.emit('telegram', 'send_message', { chat_id: chatId, status, ...(reason ? { reason } : {}), length: text.length });
      reply(status, body);
    };
    if (!user) return answer(400, { ok: false, error_code: 400, description: 'Bad Request: chat not found' }, 'chat_not_found');
    if (user.blockedBot)
      return answer(403, { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' }, 'blocked');
    if (text.length === 0 || text.length > 4096)
      return answer(400, { ok: false, error_code: 400, description: 'Bad Request: message text is empty or too long' }, 'bad_text');
    if (this.faults.down) return answer(502, { ok: false, error_code: 502, description: 'Bad Gateway' }, 'telegram_down');
    if (this.faults.rateLimit && this.sendCount++ % 2 === 0) {
      return answer(
        429,
        {
          ok: false,
          error_code: 429,
          description: `Too Many Requests: retry after ${RATE_LIMIT_RETRY_AFTER_S}`,
          parameters: { retry_after: RATE_LIMIT_RETRY_AFTER_S },
        },
        'rate_limited',
      );
    }
    const messageId = (this.nextMessageId.get(chatId) ?? 0) + 1;
    this.nextMessageId.set(chatId, messageId);
    const markup = params.reply_markup as { inline_keyboard?: { text: string; callback_data?: string }[][] } | undefined;
    const buttons = markup?.inline_keyboard?.map((row) => row.map((b) => ({ text: b.text, data: b.callback_data ?? '' })));
    user.lines.push({ id: `b-${messageId}`, from: 'bot', text, time: new Date().toISOString(), ...(buttons ? { buttons } : {}) });
    answer(200, {
      ok: true,
      result: {
        message_id: messageId,
        from: { id: this.bot.id, is_bot: true, first_name: 'Sandbox Support', username: this.bot.username },
        chat: { id: chatId, type: 'private', first_name: user.firstName },
        date: Math.floor(Date.now() / 1000),
        text,
      },
    });
  }
}
