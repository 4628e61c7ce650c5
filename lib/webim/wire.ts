import * as z from 'zod/mini';

/**
 * The Webim Custom Channel wire format — the one place that knows it.
 *
 * Webim does not publish the Custom Channel body format, so this follows the conventions of
 * Webim's documented External Bot API 2.0 (`Authorization: Token`, `visitor_id`, `message`
 * objects with a `kind`). Adapting to an account's exact format is a change to this file only.
 */

/**
 * Visitor fields sent with every message (assumed names): the Telegram name and username, the
 * user's language (`language_code`) and the deep-link payload they started the bot with.
 */
export interface VisitorFields {
  name?: string;
  login?: string;
  language?: string;
  start_param?: string;
  /** The Telegram Business account the customer wrote to (a chat of that account, not of the bot). */
  business_account?: string;
}

/** What we post to WEBIM_API_URL for each visitor message. */
export interface OutboundVisitorMessage {
  event: 'new_message';
  visitor: { id: string; fields: VisitorFields };
  message: { id: string; kind: 'visitor'; text: string };
}

export interface VisitorMessageInput {
  visitorId: string;
  name?: string;
  login?: string;
  language?: string;
  startParam?: string;
  /** For a customer of a connected business account: the account's name as operators know it. */
  businessAccount?: string;
  /** Stable per Telegram message, so Webim can drop our own retries: `tg-<chat_id>-<message_id>`. */
  messageId: string;
  text: string;
}

const fieldsOf = (input: Pick<VisitorMessageInput, 'name' | 'login' | 'language' | 'startParam' | 'businessAccount'>): VisitorFields => {
  const fields: VisitorFields = {};
  if (input.name) fields.name = input.name;
  if (input.login) fields.login = input.login;
  if (input.language) fields.language = input.language;
  if (input.startParam) fields.start_param = input.startParam;
  if (input.businessAccount) fields.business_account = input.businessAccount;
  return fields;
};

export function buildVisitorMessage(input: VisitorMessageInput): OutboundVisitorMessage {
  const fields = fieldsOf(input);
  return {
    event: 'new_message',
    visitor: { id: input.visitorId, fields },
    message: { id: input.messageId, kind: 'visitor', text: input.text },
  };
}

/** A visitor file message: the operator desk fetches the file from `url` (a sealed bridge link). */
export interface OutboundVisitorFile {
  event: 'new_message';
  visitor: { id: string; fields: VisitorFields };
  message: { id: string; kind: 'file_visitor'; data: { url: string; name: string; media_type: string; size?: number } };
}

export interface VisitorFileInput extends Omit<VisitorMessageInput, 'text'> {
  file: { url: string; name: string; mediaType: string; size?: number };
}

export function buildVisitorFile(input: VisitorFileInput): OutboundVisitorFile {
  const { visitor, message } = buildVisitorMessage({ ...input, text: '' });
  const data: OutboundVisitorFile['message']['data'] = { url: input.file.url, name: input.file.name, media_type: input.file.mediaType };
  if (input.file.size !== undefined) data.size = input.file.size;
  return { event: 'new_message', visitor, message: { id: message.id, kind: 'file_visitor', data } };
}

/**
 * A note into the visitor's chat that only operators see (kind `for_operator`, assumed as in
 * Webim's Bot API): what happened to a reply, or to the user. Never sent as a visitor message,
 * so it never looks like the user's own words.
 */
export interface OutboundOperatorNote {
  event: 'new_message';
  visitor: { id: string; fields: VisitorFields };
  message: { id: string; kind: 'for_operator'; text: string };
}

export function buildOperatorNote(input: { visitorId: string; noteId: string; text: string }): OutboundOperatorNote {
  return {
    event: 'new_message',
    visitor: { id: input.visitorId, fields: {} },
    message: { id: input.noteId, kind: 'for_operator', text: input.text },
  };
}

/** A button the operator offered (Webim Bot API 2.0's `keyboard` kind). */
export interface KeyboardButton {
  id: string;
  text: string;
}

/** The user pressed a button: `kind: "keyboard_response"` with `data.button` (Webim Bot API 2.0's convention). */
export interface OutboundKeyboardResponse {
  event: 'new_message';
  visitor: { id: string; fields: VisitorFields };
  message: { id: string; kind: 'keyboard_response'; text: string; data: { button: KeyboardButton } };
}

export function buildKeyboardResponse(
  input: Pick<VisitorMessageInput, 'visitorId' | 'name' | 'login' | 'language' | 'businessAccount'> & {
    messageId: string;
    button: KeyboardButton;
  },
): OutboundKeyboardResponse {
  return {
    event: 'new_message',
    visitor: { id: input.visitorId, fields: fieldsOf(input) },
    message: {
      id: input.messageId,
      kind: 'keyboard_response',
      text: input.button.text,
      data: { button: { id: input.button.id, text: input.button.text } },
    },
  };
}

/**
 * The user rated the conversation after the chat was closed (assumed shape, modelled on the
 * keyboard response): `kind: "rating"`, the score on Webim's visitor-side scale for rating an
 * operator, −2 (worst) … 2 (best), and the closed chat's id when known. To adapt: change the kind,
 * the field names or the scale here (`webimRateOf`); nothing else knows them.
 */
export interface OutboundRating {
  event: 'new_message';
  visitor: { id: string; fields: VisitorFields };
  message: { id: string; kind: 'rating'; text: string; data: { rate: number; chat_id?: string } };
}

/** The user's choice, 1 (worst) … 5 (best), on Webim's −2 … 2 operator-rating scale. */
export const webimRateOf = (score: number): number => Math.max(1, Math.min(5, Math.round(score))) - 3;

export function buildRating(
  input: Pick<VisitorMessageInput, 'visitorId' | 'name' | 'login' | 'language'> & {
    messageId: string;
    score: number;
    webimChatId?: string;
  },
): OutboundRating {
  const data: OutboundRating['message']['data'] = { rate: webimRateOf(input.score) };
  if (input.webimChatId) data.chat_id = input.webimChatId;
  return {
    event: 'new_message',
    visitor: { id: input.visitorId, fields: fieldsOf(input) },
    message: { id: input.messageId, kind: 'rating', text: `${'★'.repeat(input.score)}${'☆'.repeat(5 - input.score)}`, data },
  };
}

/**
 * Our stable id for a rating: one per rating prompt (the Telegram message that carried it), so a
 * redelivered press posts the same id and Webim can drop the repeat.
 */
export const ratingMessageIdFor = (chatId: number, promptMessageId: number): string => `tg-${chatId}-rating-${promptMessageId}`;

/** Our stable id for a button press: one per press, as each arrives in an update of its own. */
export const pressMessageIdFor = (chatId: number, updateId: string): string => `tg-${chatId}-press-${updateId}`;

/** Our stable id for an operator note about a Webim message (or an event of the chat). */
export const noteIdFor = (about: string): string => `note-${about}`;

/** The id of the caption that follows a file message (its own visitor text message). */
export const captionIdFor = (fileMessageId: string): string => `${fileMessageId}-caption`;

/**
 * Our stable id for a Telegram message: `tg-<chat_id>-<message_id>`. Each edit arrives in an
 * update of its own, so an edit's id carries that update's id (`…-edit-<update_id>`): two edits
 * in the same second stay two messages, and a redelivered edit keeps its id.
 */
export function webimMessageIdFor(chatId: number, messageId: number, editUpdateId?: number): string {
  return editUpdateId !== undefined ? `tg-${chatId}-${messageId}-edit-${editUpdateId}` : `tg-${chatId}-${messageId}`;
}

/** Webim error bodies look like {"error":"<code>","desc":"<text>"}. */
export const webimErrorBodySchema = z.looseObject({ error: z.optional(z.string()), desc: z.optional(z.string()) });

const fileSchema = z.looseObject({
  name: z.optional(z.string()),
  url: z.optional(z.string()),
  content_type: z.optional(z.string()),
  size: z.optional(z.number()),
});

/**
 * An id from Webim (visitor or message): a string of 1–256 printable characters or a safe
 * integer, as a string. Anything else (control characters such as NUL, absurd lengths) is
 * refused at the edge with 400 instead of failing in the database on every redelivery.
 */
const webimId = z.pipe(
  z.union([
    z.string().check(z.minLength(1), z.maxLength(256), z.regex(/^[^\p{Cc}\p{Cs}]+$/u, 'must not contain control characters')),
    z.int().check(z.gte(-Number.MAX_SAFE_INTEGER), z.lte(Number.MAX_SAFE_INTEGER)),
  ]),
  z.transform(String),
);

const messageObjectSchema = z.looseObject({
  id: z.optional(webimId),
  kind: z._default(z.string(), 'operator'),
  text: z.optional(z.string()),
  data: z.optional(z.union([z.looseObject({ file: z.optional(fileSchema) }), fileSchema])),
});

/** Webim's chat id: like the other ids, no control characters (it becomes part of a claim key). */
const chatIdSchema = z.union([
  z.string().check(z.maxLength(256), z.regex(/^[^\p{Cc}\p{Cs}]*$/u, 'must not contain control characters')),
  z.number(),
]);

/** An operator message given as a bare string: the text of an operator message. */
const plainMessage = z.pipe(
  z.string(),
  z.transform((text: string) => ({ kind: 'operator', text, id: undefined as string | undefined, data: undefined })),
);

const callbackFields = z.looseObject({
  event: z.optional(z.string()),
  visitor_id: z.optional(webimId),
  visitor: z.optional(z.looseObject({ id: z.optional(webimId) })),
  chat_id: z.optional(chatIdSchema),
  chat: z.optional(z.looseObject({ id: z.optional(chatIdSchema) })),
  message: z.optional(z.union([plainMessage, messageObjectSchema])),
});

/**
 * Webim's call to POST /webim-callback. Unknown fields are allowed. Two shapes are understood:
 * flat ids (`visitor_id`, `chat_id`, as in Webim's Bot API) and objects
 * (`"visitor": {"id": …}`, `"chat": {"id": …}`, often without `event`, as integrators of the
 * Custom Channel document it); both come out with `visitor_id` / `chat_id`. Without `event`, a
 * body with a message is a new message; one without is an event the bridge does not handle.
 */
export const webimCallbackSchema = z
  .pipe(
    callbackFields,
    z.transform(({ visitor, chat, ...callback }: z.output<typeof callbackFields>) => ({
      ...callback,
      event: callback.event ?? (callback.message !== undefined ? 'new_message' : 'unknown'),
      visitor_id: callback.visitor_id ?? visitor?.id,
      chat_id: callback.chat_id ?? chat?.id,
    })),
  )
  .check(
    z.refine((c) => c.event !== 'new_message' || (c.visitor_id !== undefined && c.message !== undefined), {
      message: 'new_message needs a visitor id (visitor_id or visitor.id) and a message',
    }),
  );

export type WebimCallback = z.output<typeof webimCallbackSchema>;

/** An operator's file as Webim's callback describes it (`data` or `data.file`). */
export interface OperatorFile {
  url: string;
  name: string;
  mediaType?: string;
  size?: number;
}

const nonEmpty = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

/** What a `file_operator` message says of its file, from `data` or `data.file`, each part optional. */
function operatorFileData(message: NonNullable<WebimCallback['message']>): Record<string, unknown> | undefined {
  const data = message.data as Record<string, unknown> | undefined;
  return (data?.file && typeof data.file === 'object' ? data.file : data) as Record<string, unknown> | undefined;
}

/** The file of a `file_operator` message, or undefined when it names no URL. */
export function operatorFileOf(message: NonNullable<WebimCallback['message']>): OperatorFile | undefined {
  const file = operatorFileData(message);
  const url = nonEmpty(file?.url);
  if (!url) return undefined;
  const size = typeof file?.size === 'number' && file.size >= 0 ? file.size : undefined;
  let fallbackName = 'file';
  try {
    fallbackName = decodeURIComponent(new URL(url).pathname.split('/').pop() || 'file');
  } catch {
    // keep "file"
  }
  return {
    url,
    name: (nonEmpty(file?.name) ?? fallbackName).slice(0, 200),
    mediaType: nonEmpty(file?.media_type) ?? nonEmpty(file?.content_type),
    size,
  };
}

const buttonSchema = z.looseObject({
  id: z.pipe(z.union([z.string(), z.number()]), z.transform(String)),
  text: z.string().check(z.minLength(1)),
});
const keyboardSchema = z.array(z.array(buttonSchema).check(z.minLength(1))).check(z.minLength(1));

/**
 * The buttons of a `keyboard` message, rows kept: `message.buttons`, or `message.data.buttons`
 * (both assumed). Undefined when there are none usable.
 */
export function keyboardOf(message: NonNullable<WebimCallback['message']>): KeyboardButton[][] | undefined {
  const m = message as { buttons?: unknown; data?: { buttons?: unknown } };
  const parsed = keyboardSchema.safeParse(m.buttons ?? m.data?.buttons);
  return parsed.success ? parsed.data.map((row) => row.map((b) => ({ id: b.id, text: b.text }))) : undefined;
}

/**
 * The operator's name when the callback carries it (assumed places: `message.name`,
 * `message.sender.name`, `message.operator.name`, or the callback's `operator.name`).
 */
export function operatorNameOf(callback: WebimCallback): string | undefined {
  const m = (callback.message ?? {}) as { name?: unknown; sender?: { name?: unknown }; operator?: { name?: unknown } };
  const c = callback as { operator?: { name?: unknown } };
  const name = [m.name, m.sender?.name, m.operator?.name, c.operator?.name].find((v) => typeof v === 'string' && v.trim());
  return typeof name === 'string' ? name.trim().slice(0, 64) : undefined;
}

/** The text a Telegram user sees for an operator file message that names no downloadable file. */
function describeOperatorFile(message: NonNullable<WebimCallback['message']>): string {
  const file = operatorFileData(message) as { name?: string; url?: string } | undefined;
  const name = file?.name ?? 'file';
  const parts = [`📎 ${name}`];
  if (file?.url) parts.push(file.url);
  if (message.text) parts.unshift(message.text);
  return parts.join('\n');
}

/**
 * The text to send to the Telegram user for an operator-side message, or undefined with the
 * reason it is not forwarded: `for_operator` never is, `info` only when configured, unknown
 * kinds are acknowledged and skipped.
 */
export function userTextFor(
  message: NonNullable<WebimCallback['message']>,
  options: { forwardInfo: boolean },
): { text: string } | { skip: string } {
  switch (message.kind) {
    case 'operator':
      return message.text?.trim() ? { text: message.text } : { skip: 'empty_text' };
    case 'file_operator':
      return { text: describeOperatorFile(message) };
    case 'info':
      if (!options.forwardInfo) return { skip: 'info_not_forwarded' };
      return message.text?.trim() ? { text: message.text } : { skip: 'empty_text' };
    case 'for_operator':
      return { skip: 'for_operator' };
    case 'keyboard':
      // The buttons go as an inline keyboard under the operator's question; without one, the relay
      // puts the catalogue's prompt in the user's language above them (this module knows no words).
      return { text: message.text ?? '' };
    default:
      return { skip: `kind_${message.kind}` };
  }
}
