import { randomBytes } from 'node:crypto';
import type { SandboxEventBus } from './events';
import type { SimUserIdentity } from './wire';

/** A line of a customer's chat with the business account (as the Telegram simulator's chat lines). */
export interface BusinessLine {
  id: string;
  from: 'user' | 'bot';
  text: string;
  time: string;
  /** For the customer's messages: where the update is on its way to the bridge. */
  status?: 'sending' | 'retrying' | 'delivered';
  /** The account marked it read (readBusinessMessage). */
  read?: boolean;
}

/** What the business simulator needs of the Telegram simulator: its users and its ordered webhook delivery. */
export interface BusinessHost {
  users: readonly SimUserIdentity[];
  nextUpdateId(): number;
  deliver(chatId: number, body: { update_id: number }, line?: BusinessLine): void;
}

type Reply = (status: number, body: unknown) => void;

/** A simulated Telegram Business account's state, as the page shows it. */
export interface BusinessState {
  connectionId: string;
  owner: { id: number; firstName: string; username: string };
  connected: boolean;
  canReply: boolean;
  canReadMessages: boolean;
  /** Each customer's chat with the account, by the customer's chat id. */
  chats: { chatId: number; lines: BusinessLine[] }[];
}

const error = (reply: Reply, status: number, description: string) => reply(status, { ok: false, error_code: status, description });

/**
 * A simulated Telegram Business account (the sandbox's "Acme Flowers") that can connect the bot:
 * the sandbox's users write to it as customers, its owner types in their chats directly, and it
 * can be disconnected. It sends the bridge the business updates in the Bot API's shapes and
 * answers the bridge's sends through the connection as Telegram does — refusing them when the
 * connection is gone, disabled or lacks the right to reply.
 */
export class BusinessAccountSimulator {
  readonly state: BusinessState = {
    connectionId: `SBXbiz${randomBytes(9).toString('base64url')}`,
    owner: { id: 600_000_001, firstName: 'Acme Flowers', username: 'acme_flowers_sandbox' },
    connected: false,
    canReply: true,
    canReadMessages: true,
    chats: [],
  };
  private nextMessageId = 1;

  constructor(
    private readonly host: BusinessHost,
    private readonly bus: SandboxEventBus,
  ) {}

  private chat(chatId: number) {
    let chat = this.state.chats.find((c) => c.chatId === chatId);
    if (!chat) {
      chat = { chatId, lines: [] };
      this.state.chats.push(chat);
    }
    return chat;
  }

  private connectionObject() {
    const { owner, connectionId, connected, canReply, canReadMessages } = this.state;
    return {
      id: connectionId,
      user: { id: owner.id, is_bot: false, first_name: owner.firstName, username: owner.username, language_code: 'en' },
      user_chat_id: owner.id,
      date: Math.floor(Date.now() / 1000),
      ...(connected
        ? { rights: { ...(canReply ? { can_reply: true } : {}), ...(canReadMessages ? { can_read_messages: true } : {}) } }
        : {}),
      is_enabled: connected,
    };
  }

  /** The account connects the bot (or changes its rights): a business_connection update. */
  connect(rights: { canReply?: boolean; canReadMessages?: boolean } = {}): void {
    Object.assign(this.state, { connected: true, canReply: rights.canReply ?? true, canReadMessages: rights.canReadMessages ?? true });
    this.sendConnection();
    this.bus.emit('telegram', 'business_connected', { can_reply: this.state.canReply, can_read_messages: this.state.canReadMessages });
  }

  /** The account disconnects the bot (Settings → Telegram Business → Chatbots → remove). */
  disconnect(): void {
    this.state.connected = false;
    this.sendConnection();
    this.bus.emit('telegram', 'business_disconnected', {});
  }

  private sendConnection(): void {
    const update = { update_id: this.host.nextUpdateId(), business_connection: this.connectionObject() };
    this.host.deliver(this.state.owner.id, update);
  }

  /** A sandbox user writes to the business account (a customer), or the owner writes in that user's chat. */
  write(chatId: number, text: string, as: 'customer' | 'owner'): void {
    const user = this.host.users.find((u) => u.chatId === chatId);
    if (!user) throw new Error(`no simulated user ${chatId}`);
    const messageId = this.nextMessageId++;
    const line: BusinessLine = {
      id: `${as === 'owner' ? 'o' : 'u'}-${messageId}`,
      from: as === 'owner' ? 'bot' : 'user',
      text,
      time: new Date().toISOString(),
    };
    if (as === 'owner') line.text = `(owner) ${text}`;
    else line.status = 'sending';
    this.chat(chatId).lines.push(line);
    if (!this.state.connected) return; // a chat the bot does not serve: Telegram sends it nothing
    const customer = {
      id: user.chatId,
      is_bot: false,
      first_name: user.firstName,
      ...(user.lastName ? { last_name: user.lastName } : {}),
      ...(user.username ? { username: user.username } : {}),
      language_code: 'en',
    };
    const owner = { id: this.state.owner.id, is_bot: false, first_name: this.state.owner.firstName, username: this.state.owner.username };
    const update = {
      update_id: this.host.nextUpdateId(),
      business_message: {
        message_id: messageId,
        from: as === 'owner' ? owner : customer,
        chat: { id: user.chatId, first_name: user.firstName, type: 'private' },
        date: Math.floor(Date.now() / 1000),
        business_connection_id: this.state.connectionId,
        text,
      },
    };
    this.host.deliver(chatId, update, as === 'customer' ? line : undefined);
  }

  /**
   * The Bot API methods called through the connection (`business_connection_id`), and
   * readBusinessMessage / getBusinessConnection; false when the call is not a business one.
   */
  handle(method: string, params: Record<string, unknown>, file: { name: string } | undefined, reply: Reply): boolean {
    const connectionId = params.business_connection_id;
    if (connectionId === undefined && method !== 'getBusinessConnection') return false;
    if (connectionId !== this.state.connectionId) {
      error(reply, 400, 'Bad Request: business connection not found');
      return true;
    }
    if (method === 'getBusinessConnection') {
      reply(200, { ok: true, result: this.connectionObject() });
      return true;
    }
    const chatId = Number(params.chat_id);
    const chat = this.state.chats.find((c) => c.chatId === chatId);
    if (!this.state.connected) error(reply, 400, 'Bad Request: BUSINESS_CONNECTION_INVALID');
    else if (!chat) error(reply, 400, 'Bad Request: chat not found');
    else if (method === 'readBusinessMessage') {
      if (!this.state.canReadMessages) error(reply, 400, 'Bad Request: BOT_ACCESS_FORBIDDEN');
      else {
        for (const line of chat.lines) if (line.from === 'user' && Number(line.id.slice(2)) <= Number(params.message_id)) line.read = true;
        this.bus.emit('telegram', 'business_read', { chat_id: chatId, message_id: Number(params.message_id) });
        reply(200, { ok: true, result: true });
      }
    } else if (!this.state.canReply) error(reply, 400, 'Bad Request: BOT_ACCESS_FORBIDDEN');
    else if (method === 'sendMessage' || (method.startsWith('send') && file)) {
      const messageId = this.nextMessageId++;
      const text = typeof params.text === 'string' ? params.text : typeof params.caption === 'string' ? params.caption : '';
      chat.lines.push({
        id: `b-${messageId}`,
        from: 'bot',
        text: file ? `[${file.name}] ${text}`.trim() : text,
        time: new Date().toISOString(),
      });
      this.bus.emit('telegram', 'business_send', { chat_id: chatId, method, status: 200 });
      reply(200, {
        ok: true,
        result: {
          message_id: messageId,
          business_connection_id: this.state.connectionId,
          chat: { id: chatId, type: 'private' },
          date: Math.floor(Date.now() / 1000),
          ...(text ? { text } : {}),
        },
      });
    } else error(reply, 400, `Bad Request: ${method} is not simulated for business chats`);
    return true;
  }
}
