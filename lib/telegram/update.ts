import type { Message, Update, User } from '@grammyjs/types';
import * as z from 'zod';
import { fileOfMessage, type TelegramFile } from './files';

/**
 * Edge validation of a Telegram Update: only what the bridge relies on is checked, unknown fields
 * pass through (Telegram adds fields regularly).
 */
/** Telegram ids fit in 52 bits; anything outside would fail in the database on every redelivery. */
const telegramId = z
  .number()
  .int()
  .min(-(2 ** 52))
  .max(2 ** 52);
const chatSchema = z.looseObject({ id: telegramId, type: z.string() });
const messageSchema = z.looseObject({
  message_id: z.number().int(),
  date: z.number().int(),
  chat: chatSchema,
  from: z.looseObject({ id: z.number().int(), first_name: z.string() }).optional(),
  text: z.string().optional(),
  caption: z.string().optional(),
  edit_date: z.number().int().optional(),
});
const updateSchema = z.looseObject({
  update_id: z
    .number()
    .int()
    .nonnegative()
    .max(2 ** 52),
  message: messageSchema.optional(),
  edited_message: messageSchema.optional(),
  my_chat_member: z.looseObject({ chat: chatSchema, new_chat_member: z.looseObject({ status: z.string() }) }).optional(),
  callback_query: z
    .looseObject({
      id: z.string().min(1).max(256),
      from: z.looseObject({ id: z.number().int(), first_name: z.string() }),
      data: z.string().max(64).optional(),
      inline_message_id: z.string().min(1).max(256).optional(),
      message: z.looseObject({ message_id: z.number().int(), chat: chatSchema, text: z.string().optional() }).optional(),
    })
    .optional(),
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
    }
  | { kind: 'membership'; chatId: number; blocked: boolean }
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

/** Decides what to do with an update. Pure: no I/O. */
export function interpretUpdate(update: Update, options: { adminChatId?: number } = {}): UpdateIntent {
  const membership = update.my_chat_member;
  if (membership) {
    if (membership.chat.type !== 'private') return { kind: 'ignore', reason: 'not_private_chat', chatId: membership.chat.id };
    const status = membership.new_chat_member.status;
    if (status === 'kicked') return { kind: 'membership', chatId: membership.chat.id, blocked: true };
    if (status === 'member') return { kind: 'membership', chatId: membership.chat.id, blocked: false };
    return { kind: 'ignore', reason: `membership_${status}`, chatId: membership.chat.id };
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

  const file = fileOfMessage(message);
  if (file) {
    // A sticker's meaning is its emoji: it travels as the caption.
    const caption = message.caption ?? (file.kind === 'sticker' ? (message.sticker?.emoji ?? '') : '');
    const text = caption ? `${quoteOf(message)}${edited ? '[edited] ' : ''}${caption}` : '';
    return { kind: 'visitor_message', chatId, messageId: message.message_id, sender, text, edited, contentType: file.kind, file };
  }
  const content = describeContent(message);
  if (!content) return { kind: 'ignore', reason: 'no_relayable_content', chatId };
  const text = `${quoteOf(message)}${edited ? '[edited] ' : ''}${content.text}`;
  return {
    kind: 'visitor_message',
    chatId,
    messageId: message.message_id,
    sender,
    text,
    edited,
    contentType: content.type,
  };
}

/** Characters of a replied-to message the operator sees above the reply. */
const QUOTE_CHARS = 80;

/**
 * A reply to an earlier message shows the operator the start of that message, taken from the
 * update itself (nothing is stored): `↩ «first 80 characters…»` on its own line.
 */
function quoteOf(message: Message): string {
  const replied = message.reply_to_message;
  if (!replied) return '';
  const repliedFile = (replied.text ?? replied.caption) === undefined ? fileOfMessage(replied) : undefined;
  const source = replied.text ?? replied.caption ?? (repliedFile ? `[${repliedFile.kind.replace('_', ' ')}]` : undefined);
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
function describeContent(message: Message): { type: string; text: string } | undefined {
  if (message.text !== undefined) return { type: 'text', text: message.text };
  const marker = markerFor(message);
  if (!marker) return undefined;
  const caption = message.caption ? ` ${message.caption}` : '';
  return { type: marker.type, text: `[${marker.label}]${caption}` };
}

function markerFor(m: Message): { type: string; label: string } | undefined {
  if (m.photo) return { type: 'photo', label: 'photo' };
  if (m.animation) return { type: 'animation', label: 'animation' };
  if (m.video) return { type: 'video', label: 'video' };
  if (m.video_note) return { type: 'video_note', label: 'video note' };
  if (m.voice) return { type: 'voice', label: typeof m.voice.duration === 'number' ? `voice ${m.voice.duration}s` : 'voice' };
  if (m.audio) {
    const title = [m.audio.performer, m.audio.title].filter(Boolean).join(' – ');
    return { type: 'audio', label: title ? `audio ${title}` : 'audio' };
  }
  if (m.document) return { type: 'document', label: m.document.file_name ? `document ${m.document.file_name}` : 'document' };
  if (m.sticker) return { type: 'sticker', label: m.sticker.emoji ? `sticker ${m.sticker.emoji}` : 'sticker' };
  if (m.venue) {
    const where = m.venue.location ? ` (${fmtCoord(m.venue.location.latitude)},${fmtCoord(m.venue.location.longitude)})` : '';
    return { type: 'venue', label: `venue ${[m.venue.title, m.venue.address].filter(Boolean).join(', ')}${where}` };
  }
  if (m.location) return { type: 'location', label: `location ${fmtCoord(m.location.latitude)},${fmtCoord(m.location.longitude)}` };
  if (m.contact) {
    const name = [m.contact.first_name, m.contact.last_name].filter(Boolean).join(' ');
    return { type: 'contact', label: `contact ${name} ${m.contact.phone_number}` };
  }
  if (m.poll) return { type: 'poll', label: `poll ${m.poll.question}` };
  if (m.dice) return { type: 'dice', label: `dice ${m.dice.emoji} ${m.dice.value}` };
  if (m.story) return { type: 'story', label: 'story' };
  if (m.game) return { type: 'game', label: `game ${m.game.title}` };
  if (m.invoice) return { type: 'invoice', label: `invoice ${m.invoice.title}` };
  if (m.paid_media) return { type: 'paid_media', label: 'paid media' };
  if ((m as { checklist?: { title?: string } }).checklist) return { type: 'checklist', label: 'checklist' };
  return undefined;
}

const fmtCoord = (n: unknown) => (typeof n === 'number' ? String(Math.round(n * 1e5) / 1e5) : '?');
