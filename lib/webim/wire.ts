import * as z from 'zod';

/**
 * The Webim Custom Channel wire format — the one place that knows it.
 *
 * Webim does not publish the Custom Channel body format, so this follows the conventions of
 * Webim's documented External Bot API 2.0 (`Authorization: Token`, `visitor_id`, `message`
 * objects with a `kind`). Adapting to an account's exact format is a change to this file only.
 */

/** What we post to WEBIM_API_URL for each visitor message. */
export interface OutboundVisitorMessage {
  event: 'new_message';
  visitor: { id: string; fields: { name?: string; login?: string } };
  message: { id: string; kind: 'visitor'; text: string };
}

export interface VisitorMessageInput {
  visitorId: string;
  name?: string;
  login?: string;
  /** Stable per Telegram message, so Webim can drop our own retries: `tg-<chat_id>-<message_id>`. */
  messageId: string;
  text: string;
}

export function buildVisitorMessage(input: VisitorMessageInput): OutboundVisitorMessage {
  const fields: { name?: string; login?: string } = {};
  if (input.name) fields.name = input.name;
  if (input.login) fields.login = input.login;
  return {
    event: 'new_message',
    visitor: { id: input.visitorId, fields },
    message: { id: input.messageId, kind: 'visitor', text: input.text },
  };
}

/** A visitor file message: the operator desk fetches the file from `url` (a sealed bridge link). */
export interface OutboundVisitorFile {
  event: 'new_message';
  visitor: { id: string; fields: { name?: string; login?: string } };
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
export const webimErrorBodySchema = z.looseObject({ error: z.string().optional(), desc: z.string().optional() });

const fileSchema = z.looseObject({
  name: z.string().optional(),
  url: z.string().optional(),
  content_type: z.string().optional(),
  size: z.number().optional(),
});

/**
 * An id from Webim (visitor or message): a string of 1–256 printable characters or a safe
 * integer, as a string. Anything else (control characters such as NUL, absurd lengths) is
 * refused at the edge with 400 instead of failing in the database on every redelivery.
 */
const webimId = z.union([
  z
    .string()
    .min(1)
    .max(256)
    .regex(/^[^\p{Cc}\p{Cs}]+$/u, 'must not contain control characters'),
  z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER),
]).transform(String);

const messageObjectSchema = z.looseObject({
  id: webimId.optional(),
  kind: z.string().default('operator'),
  text: z.string().optional(),
  data: z.looseObject({ file: fileSchema.optional() }).or(fileSchema).optional(),
});

const chatIdSchema = z.union([z.string().max(256), z.number()]);

/**
 * Webim's call to POST /webim-callback. Unknown fields are allowed. Two shapes are understood:
 * flat ids (`visitor_id`, `chat_id`, as in Webim's Bot API) and objects
 * (`"visitor": {"id": …}`, `"chat": {"id": …}`, often without `event`, as integrators of the
 * Custom Channel document it); both come out with `visitor_id` / `chat_id`. Without `event`, a
 * body with a message is a new message; one without is an event the bridge does not handle.
 */
export const webimCallbackSchema = z
  .looseObject({
    event: z.string().optional(),
    visitor_id: webimId.optional(),
    visitor: z.looseObject({ id: webimId.optional() }).optional(),
    chat_id: chatIdSchema.optional(),
    chat: z.looseObject({ id: chatIdSchema.optional() }).optional(),
    message: z
      .union([z.string().transform((text) => ({ kind: 'operator', text, id: undefined, data: undefined })), messageObjectSchema])
      .optional(),
  })
  .transform(({ visitor, chat, ...callback }) => ({
    ...callback,
    event: callback.event ?? (callback.message !== undefined ? 'new_message' : 'unknown'),
    visitor_id: callback.visitor_id ?? visitor?.id,
    chat_id: callback.chat_id ?? chat?.id,
  }))
  .refine((c) => c.event !== 'new_message' || (c.visitor_id !== undefined && c.message !== undefined), {
    message: 'new_message needs a visitor id (visitor_id or visitor.id) and a message',
  });

export type WebimCallback = z.output<typeof webimCallbackSchema>;

/** Operator-side message kinds and what the bridge does with them. */
export type CallbackKind = 'operator' | 'file_operator' | 'info' | 'for_operator' | (string & {});

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
  return { url, name: (nonEmpty(file?.name) ?? fallbackName).slice(0, 200), mediaType: nonEmpty(file?.media_type) ?? nonEmpty(file?.content_type), size };
}

/** The text a Telegram user sees for an operator file message that names no downloadable file. */
export function describeOperatorFile(message: NonNullable<WebimCallback['message']>): string {
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
    default:
      return { skip: `kind_${message.kind}` };
  }
}
