import type { Message, ReactionType, Update, User } from '@grammyjs/types';
import * as z from 'zod/mini';
import type { BusinessConnectionRecord } from '../db/business';
import { type DeskWords, wordsOf } from '../i18n/catalogue';
import { fileOfMessage, type TelegramFile } from './files';
import { reactionsAdded } from './reactions';

/**
 * Edge validation of a Telegram Update: only what the bridge relies on is checked, unknown fields
 * pass through (Telegram adds fields regularly).
 */
/** Telegram ids fit in 52 bits; anything outside would fail in the database on every redelivery. */
const telegramId = z.int().check(z.gte(-(2 ** 52)), z.lte(2 ** 52));
const int = z.int();
const optionalText = z.optional(z.string());
const chatSchema = z.looseObject({ id: telegramId, type: z.string() });
const userSchema = z.looseObject({ id: int, first_name: z.string() });
const messageFields = {
  message_id: int,
  date: int,
  chat: chatSchema,
  from: z.optional(userSchema),
  text: optionalText,
  caption: optionalText,
  edit_date: z.optional(int),
};
const messageSchema = z.looseObject(messageFields);
/** A Telegram-made id string (a business connection's): checked like every id at the edge. */
const idString = z.string().check(z.minLength(1), z.maxLength(256), z.regex(/^[^\p{Cc}]+$/u));
/** A callback query's or inline message's id: 1–256 characters. */
const shortId = z.string().check(z.minLength(1), z.maxLength(256));
const businessMessageSchema = z.looseObject({ ...messageFields, business_connection_id: idString });
const reactionList = z.array(z.looseObject({ type: z.string() }));
const updateSchema = z.looseObject({
  update_id: z.int().check(z.gte(0), z.lte(2 ** 52)),
  message: z.optional(messageSchema),
  edited_message: z.optional(messageSchema),
  my_chat_member: z.optional(z.looseObject({ chat: chatSchema, new_chat_member: z.looseObject({ status: z.string() }) })),
  callback_query: z.optional(
    z.looseObject({
      id: shortId,
      from: userSchema,
      data: z.optional(z.string().check(z.maxLength(64))),
      inline_message_id: z.optional(shortId),
      message: z.optional(
        z.looseObject({
          message_id: int,
          chat: chatSchema,
          text: optionalText,
          business_connection_id: z.optional(idString),
        }),
      ),
    }),
  ),
  business_connection: z.optional(
    z.looseObject({
      id: idString,
      user: z.looseObject({ id: telegramId, first_name: z.string() }),
      user_chat_id: telegramId,
      date: int,
      is_enabled: z.boolean(),
      rights: z.optional(z.looseObject({})),
    }),
  ),
  business_message: z.optional(businessMessageSchema),
  edited_business_message: z.optional(businessMessageSchema),
  deleted_business_messages: z.optional(
    z.looseObject({ business_connection_id: idString, chat: chatSchema, message_ids: z.array(int).check(z.maxLength(1000)) }),
  ),
  message_reaction: z.optional(
    z.looseObject({
      chat: chatSchema,
      message_id: int,
      old_reaction: reactionList,
      new_reaction: reactionList,
    }),
  ),
});

/** Parses an already JSON-decoded body; returns undefined when it is not an update. */
export function parseUpdate(body: unknown): Update | undefined {
  const result = updateSchema.safeParse(body);
  return result.success ? (result.data as unknown as Update) : undefined;
}

export interface Sender {
  name?: string;
  login?: string;
  /** The user's Telegram language (`language_code`). */
  language?: string;
}

/** The business connection a chat of a connected Telegram Business account came through. */
export interface BusinessChat {
  connectionId: string;
}

/** A business_connection update: the connection's state as the bridge records it (ids and rights, no text). */
export type BusinessConnectionState = BusinessConnectionRecord;

/** What one update asks of the bridge. */
export type UpdateIntent =
  | { kind: 'ignore'; reason: string; chatId?: number }
  /** `/start`, with the deep-link payload of `t.me/<bot>?start=<payload>` when there is one. */
  | { kind: 'start'; chatId: number; messageId: number; sender: Sender; payload?: string }
  /** The user pressed a button of an operator's keyboard. */
  | {
      kind: 'button_press';
      chatId: number;
      callbackQueryId: string;
      /** The button's callback_data. */
      data: string;
      /** The keyboard message, to show the choice on it. */
      keyboardMessageId?: number;
      keyboardText?: string;
      /** The pressed button's label, from the keyboard the update carries. */
      buttonText?: string;
      sender: Sender;
      /** Pressed under a reply sent through a business account. */
      business?: BusinessChat;
    }
  | {
      kind: 'visitor_message';
      chatId: number;
      messageId: number;
      sender: Sender;
      /** The text (or, with a file, the caption; may be empty then), with a reply's quote above it. */
      text: string;
      edited: boolean;
      contentType: string;
      /** A file to relay as a file message; `text` then follows as its own message. */
      file?: TelegramFile;
      /** A customer's message to a connected business account (not to the bot itself). */
      business?: BusinessChat;
    }
  /** A business account's connection was made, changed, disabled or removed. */
  | { kind: 'business_connection'; chatId?: undefined; connection: BusinessConnectionState }
  /**
   * The business account's owner wrote in a customer's chat themselves (from their phone): never
   * relayed as the customer's words. `text` is what the operator may be shown, by setting.
   */
  | {
      kind: 'business_owner_message';
      chatId: number;
      messageId: number;
      business: BusinessChat;
      text: string;
      edited: boolean;
      contentType: string;
    }
  /** Messages of a business chat were deleted (ids only). */
  | { kind: 'business_deleted'; chatId: number; business: BusinessChat; messageIds: number[] }
  | { kind: 'membership'; chatId: number; blocked: boolean }
  /** The user changed their reaction to a message: what was added and what removed. */
  | { kind: 'reaction'; chatId: number; messageId: number; added: ReactionType[]; removed: ReactionType[] }
  /** `/status` in the admin chat: answer with the doctor's summary and the last 24 hours. */
  | { kind: 'admin_status'; chatId: number };

const senderOf = (user: User | undefined): Sender => ({
  name: user ? [user.first_name, user.last_name].filter(Boolean).join(' ') : undefined,
  login: user?.username,
  language: user?.language_code,
});

/** The deep-link payload of `/start <payload>` (Telegram allows up to 64 of A-Z a-z 0-9 _ -). */
const startPayloadOf = (text: string | undefined): string | undefined => {
  const payload = text?.replace(/^\/start(@\w+)?/, '').trim();
  return payload && /^[A-Za-z0-9_-]{1,64}$/.test(payload) ? payload : undefined;
};

/** A bot command at the start of a text, optionally addressed to the bot (`/start@acme_bot`). */
const command = (name: string) => new RegExp(`^/${name}(@\\w+)?(\\s|$)`);
const START = command('start');
const STATUS = command('status');
const isCommand = (text: string | undefined, pattern: RegExp) => !!text && pattern.test(text);

/**
 * Decides what to do with an update. Pure: no I/O. The lines it adds for the operator (markers of
 * non-text content, `[edited]`, a quote's file kind) are in `desk`, the operators' words (default
 * Russian, the product's desk language).
 */
export function interpretUpdate(update: Update, options: { adminChatId?: number; desk?: DeskWords } = {}): UpdateIntent {
  const desk = options.desk ?? wordsOf('ru').desk;
  const membership = update.my_chat_member;
  if (membership) {
    if (membership.chat.type !== 'private') return { kind: 'ignore', reason: 'not_private_chat', chatId: membership.chat.id };
    const status = membership.new_chat_member.status;
    if (status === 'kicked') return { kind: 'membership', chatId: membership.chat.id, blocked: true };
    if (status === 'member') return { kind: 'membership', chatId: membership.chat.id, blocked: false };
    return { kind: 'ignore', reason: `membership_${status}`, chatId: membership.chat.id };
  }

  const business = interpretBusinessUpdate(update, desk);
  if (business) return business;
  const reaction = update.message_reaction;
  if (reaction) {
    const chatId = reaction.chat.id;
    if (reaction.chat.type !== 'private' || chatId === options.adminChatId)
      return { kind: 'ignore', reason: 'reaction_not_private', chatId };
    const added = reactionsAdded(reaction.old_reaction, reaction.new_reaction);
    const removed = reactionsAdded(reaction.new_reaction, reaction.old_reaction);
    if (!added.length && !removed.length) return { kind: 'ignore', reason: 'reaction_unchanged', chatId };
    return { kind: 'reaction', chatId, messageId: reaction.message_id, added, removed };
  }

  const press = update.callback_query;
  if (press) {
    // With Bot API 10.5's callback_query_mode a press of the bot's own message may carry
    // inline_message_id and no message: the presser is then the one to route by, since the
    // bridge's keyboards live only in private chats, whose id is the user's.
    const chat = press.message ? press.message.chat : press.inline_message_id ? { id: press.from.id, type: 'private' } : undefined;
    if (chat?.type !== 'private' || !press.data)
      return { kind: 'ignore', reason: 'button_press_without_message_or_data', chatId: chat?.id };
    const keyboard = press.message && 'reply_markup' in press.message ? (press.message.reply_markup?.inline_keyboard ?? []) : [];
    const button = keyboard.flat().find((b) => 'callback_data' in b && b.callback_data === press.data);
    const keyboardText = press.message && 'text' in press.message ? press.message.text : undefined;
    return {
      kind: 'button_press',
      chatId: chat.id,
      callbackQueryId: press.id,
      data: press.data,
      keyboardMessageId: press.message?.message_id,
      keyboardText,
      buttonText: button?.text,
      sender: senderOf(press.from),
      ...(press.message?.business_connection_id ? { business: { connectionId: press.message.business_connection_id } } : {}),
    };
  }

  const message = update.message ?? update.edited_message;
  if (!message) return { kind: 'ignore', reason: `unsupported_update_${updateType(update)}` };
  const chatId = message.chat.id;
  // The admin chat is the team's own: its messages are never relayed; /status is answered there.
  if (options.adminChatId !== undefined && chatId === options.adminChatId) {
    return update.message && isCommand(message.text, STATUS)
      ? { kind: 'admin_status', chatId }
      : { kind: 'ignore', reason: 'admin_chat', chatId };
  }
  if (message.chat.type !== 'private') return { kind: 'ignore', reason: 'not_private_chat', chatId };
  const edited = !update.message;
  const sender = senderOf(message.from);

  if (!edited && isCommand(message.text, START))
    return { kind: 'start', chatId, messageId: message.message_id, sender, payload: startPayloadOf(message.text) };
  return visitorMessageOf(message, edited, desk);
}

/** A user's message (to the bot, or a customer's to a business account) as the operator receives it. */
function visitorMessageOf(message: Message, edited: boolean, desk: DeskWords, business?: BusinessChat): UpdateIntent {
  const chatId = message.chat.id;
  const sender = senderOf(message.from);
  const extra = business ? { business } : {};
  const file = fileOfMessage(message);
  if (file) {
    // A sticker's meaning is its emoji: it travels as the caption.
    const caption = message.caption ?? (file.kind === 'sticker' ? (message.sticker?.emoji ?? '') : '');
    const text = caption ? `${quoteOf(message, desk)}${edited ? `${desk.edited} ` : ''}${caption}` : '';
    return { kind: 'visitor_message', chatId, messageId: message.message_id, sender, text, edited, contentType: file.kind, file, ...extra };
  }
  const content = describeContent(message, desk);
  if (!content) return { kind: 'ignore', reason: 'no_relayable_content', chatId };
  const text = `${quoteOf(message, desk)}${edited ? `${desk.edited} ` : ''}${content.text}`;
  return {
    kind: 'visitor_message',
    chatId,
    messageId: message.message_id,
    sender,
    text,
    edited,
    contentType: content.type,
    ...extra,
  };
}

/** A BusinessConnection (from an update or getBusinessConnection) as the bridge records it. */
export function businessConnectionStateOf(connection: NonNullable<Update['business_connection']>): BusinessConnectionState {
  const rights = rightsOf(connection);
  return {
    id: connection.id,
    ownerUserId: connection.user.id,
    ownerUsername: connection.user.username,
    userChatId: connection.user_chat_id,
    isEnabled: connection.is_enabled,
    canReply: rights.can_reply === true,
    canReadMessages: rights.can_read_messages === true,
    rights,
    date: connection.date,
  };
}

/** The rights a business connection grants, by name (Bot API 9.0 `rights`; `can_reply` of older answers too). */
function rightsOf(connection: NonNullable<Update['business_connection']>): Record<string, boolean> {
  const rights: Record<string, boolean> = {};
  for (const [name, value] of Object.entries(connection.rights ?? {}))
    if (value === true && /^[a-z_]{1,64}$/.test(name)) rights[name] = true;
  if ((connection as { can_reply?: unknown }).can_reply === true) rights.can_reply = true;
  return rights;
}

/**
 * The business updates (Telegram Business, Bot API 7.2+): a connection's state, a customer's
 * message or edit in a chat of the connected account, the owner's own message there, deletions.
 * A business chat's id is the customer's user id, so in a private business chat a message whose
 * sender is not the chat is the account's side: the owner typing, or a bot sending for the
 * account (`sender_business_bot`, the bridge's own replies among them: never relayed back).
 */
function interpretBusinessUpdate(update: Update, desk: DeskWords): UpdateIntent | undefined {
  const connection = update.business_connection;
  if (connection) return { kind: 'business_connection', connection: businessConnectionStateOf(connection) };
  const deleted = update.deleted_business_messages;
  if (deleted) {
    if (deleted.chat.type !== 'private') return { kind: 'ignore', reason: 'not_private_chat', chatId: deleted.chat.id };
    return {
      kind: 'business_deleted',
      chatId: deleted.chat.id,
      business: { connectionId: deleted.business_connection_id },
      messageIds: deleted.message_ids,
    };
  }
  const message = update.business_message ?? update.edited_business_message;
  if (!message) return undefined;
  const chatId = message.chat.id;
  if (message.chat.type !== 'private') return { kind: 'ignore', reason: 'not_private_chat', chatId };
  const business = { connectionId: message.business_connection_id as string };
  const edited = !update.business_message;
  if (message.sender_business_bot) return { kind: 'ignore', reason: 'sent_by_business_bot', chatId };
  if (message.from && message.from.id !== chatId) {
    const file = fileOfMessage(message);
    const content = describeContent(message, desk) ?? (file ? { type: 'file', text: `[${desk.fileKind[file.kind]}]` } : undefined);
    if (!content) return { kind: 'ignore', reason: 'no_relayable_content', chatId };
    return {
      kind: 'business_owner_message',
      chatId,
      messageId: message.message_id,
      business,
      text: content.text,
      edited,
      contentType: content.type,
    };
  }
  return visitorMessageOf(message, edited, desk, business);
}

/** Characters of a replied-to message the operator sees above the reply. */
const QUOTE_CHARS = 80;

/**
 * A reply to an earlier message shows the operator the start of that message, taken from the
 * update itself (nothing is stored): `↩ «first 80 characters…»` on its own line.
 */
function quoteOf(message: Message, desk: DeskWords): string {
  const replied = message.reply_to_message;
  if (!replied) return '';
  const repliedFile = (replied.text ?? replied.caption) === undefined ? fileOfMessage(replied) : undefined;
  const source = replied.text ?? replied.caption ?? (repliedFile ? `[${desk.fileKind[repliedFile.kind]}]` : undefined);
  if (!source) return '';
  const flat = source.replace(/\s+/g, ' ').trim();
  const chars = [...flat];
  return `↩ «${chars.length > QUOTE_CHARS ? `${chars.slice(0, QUOTE_CHARS).join('')}…` : flat}»\n`;
}

const updateType = (update: Update) => Object.keys(update).find((k) => k !== 'update_id') ?? 'empty';

/**
 * The text an operator sees for a message: its text, or a short marker for other kinds (files
 * without file links, locations, polls…) followed by the caption when there is one.
 */
function describeContent(message: Message, desk: DeskWords): { type: string; text: string } | undefined {
  if (message.text !== undefined) return { type: 'text', text: message.text };
  const marker = markerFor(message, desk.marker);
  if (!marker) return undefined;
  const caption = message.caption ? ` ${message.caption}` : '';
  return { type: marker.type, text: `[${marker.label}]${caption}` };
}

function markerFor(m: Message, w: DeskWords['marker']): { type: string; label: string } | undefined {
  if (m.photo) return { type: 'photo', label: w.photo };
  if (m.animation) return { type: 'animation', label: w.animation };
  if (m.video) return { type: 'video', label: w.video };
  if (m.video_note) return { type: 'video_note', label: w.videoNote };
  if (m.voice) return { type: 'voice', label: w.voice(typeof m.voice.duration === 'number' ? m.voice.duration : undefined) };
  if (m.audio) return { type: 'audio', label: w.audio([m.audio.performer, m.audio.title].filter(Boolean).join(' – ') || undefined) };
  if (m.document) return { type: 'document', label: w.document(m.document.file_name || undefined) };
  if (m.sticker) return { type: 'sticker', label: w.sticker(m.sticker.emoji || undefined) };
  if (m.venue) {
    const where = m.venue.location ? `${fmtCoord(m.venue.location.latitude)},${fmtCoord(m.venue.location.longitude)}` : undefined;
    return { type: 'venue', label: w.venue([m.venue.title, m.venue.address].filter(Boolean).join(', '), where) };
  }
  if (m.location) return { type: 'location', label: w.location(`${fmtCoord(m.location.latitude)},${fmtCoord(m.location.longitude)}`) };
  if (m.contact) {
    const name = [m.contact.first_name, m.contact.last_name].filter(Boolean).join(' ');
    return { type: 'contact', label: w.contact(name, m.contact.phone_number) };
  }
  if (m.poll) return { type: 'poll', label: w.poll(m.poll.question) };
  if (m.dice) return { type: 'dice', label: w.dice(m.dice.emoji, m.dice.value) };
  if (m.story) return { type: 'story', label: w.story };
  if (m.game) return { type: 'game', label: w.game(m.game.title) };
  if (m.invoice) return { type: 'invoice', label: w.invoice(m.invoice.title) };
  if (m.paid_media) return { type: 'paid_media', label: w.paidMedia };
  if ((m as { checklist?: { title?: string } }).checklist) return { type: 'checklist', label: w.checklist };
  return undefined;
}

const fmtCoord = (n: unknown) => (typeof n === 'number' ? String(Math.round(n * 1e5) / 1e5) : '?');
