import { DeliveryFailure } from '../core/failure';
import { chatLanguageOf, setChatBlocked } from '../db/chat-mapping';
import type { HeldClaim } from '../db/delivery-claims';
import { userWordsOf } from '../settings/texts';
import { TelegramApiError, telegramDeliveryFailure } from '../telegram/errors';
import { splitText } from '../telegram/split-text';
import { allowedFileHosts, OPERATOR_FILE_LIMIT_BYTES, OperatorFileError, openOperatorFile } from '../webim/operator-files';
import type { OperatorFile } from '../webim/wire';
import { type RelayDeps, timedUpstream } from './deps';
import { businessParams, type Recipient, recipientOf, sendTextToUser } from './send-to-user';

/** Telegram's caption limit; a longer text goes as its own message(s) after the file. */
const CAPTION_LIMIT = 1024;
/** sendPhoto takes images up to 10 MB; larger ones go as documents. */
const PHOTO_LIMIT_BYTES = 10 * 1024 * 1024;
/** Kept back after an upload for completing the claim and answering. */
const UPLOAD_RESERVE_MS = 1_500;

/** Which Bot API method and field carry a file of this type and size. */
function uploadMethodFor(
  mediaType: string,
  size: number | undefined,
): { method: 'sendPhoto' | 'sendVoice' | 'sendVideo' | 'sendDocument'; field: string } {
  if (/^image\/(jpeg|png|webp|gif)$/.test(mediaType) && (size ?? 0) <= PHOTO_LIMIT_BYTES && size !== undefined)
    return { method: 'sendPhoto', field: 'photo' };
  if (mediaType === 'audio/ogg') return { method: 'sendVoice', field: 'voice' };
  if (mediaType === 'video/mp4') return { method: 'sendVideo', field: 'video' };
  return { method: 'sendDocument', field: 'document' };
}

/**
 * Sends an operator's file to the user (a bot chat, or a business chat through its connection): downloaded from Webim's file host (allowed hosts only,
 * HTTPS, ≤ 50 MB) and uploaded to Telegram in one stream — nothing is written anywhere. The text
 * with it becomes the caption, or follows as its own message(s) when longer than 1024 characters.
 * Part 1 is the file, then the text parts; progress is recorded in the claim, so a retry neither
 * repeats the file nor skips the text. A file that cannot be fetched for good (404/410, a host not
 * allowed, too large) reaches the user as its name and a short note; the reason is logged. A file
 * Telegram refuses in its own form (voice, photo, video) goes again as a document.
 */
export async function sendFileToUser(
  deps: RelayDeps,
  to: number | Recipient,
  file: OperatorFile,
  text: string | undefined,
  claim?: HeldClaim,
  onSent?: (messageId: number) => void,
): Promise<number> {
  const recipient = recipientOf(to);
  const caption = text && text.length <= CAPTION_LIMIT ? text : undefined;
  const rest = text && !caption ? text : undefined;
  const total = 1 + (rest ? splitText(rest).length : 0);
  if ((claim?.partsDone ?? 0) < 1) {
    const sent = await deliverFilePart(deps, recipient, file, caption);
    if (sent !== undefined) onSent?.(sent);
    if (claim && total > 1) await claim.recordParts(1).catch((e: unknown) => deps.log.warn('progress_record_failed', { error: e }));
  }
  if (rest) await sendTextToUser(deps, recipient, rest, claim, 1, { onSent });
  return total;
}

/**
 * One file part. When Telegram refuses the file in the form it was sent (a 400 to sendVoice when
 * the user's privacy settings forbid voice messages, to sendPhoto for an image it cannot process,
 * to sendVideo), the same bytes are fetched again and sent as a document; only if that is refused
 * too does the user get the file's name and a note. The caption travels with each attempt, so the
 * text always reaches the user.
 */
async function deliverFilePart(
  deps: RelayDeps,
  to: Recipient,
  file: OperatorFile,
  caption: string | undefined,
): Promise<number | undefined> {
  const first = await uploadFile(deps, to, file, caption, false);
  if (first.status === 'sent') return first.messageId;
  deps.log.warn('file_upload_refused', {
    method: first.method,
    reason: first.reason,
    fallback: first.method === 'sendDocument' ? 'note' : 'sendDocument',
  });
  if (first.method === 'sendDocument') {
    await sendNote(deps, to, file, caption, first.reason);
    return undefined;
  }
  const second = await uploadFile(deps, to, file, caption, true);
  if (second.status === 'sent') return second.messageId;
  await sendNote(deps, to, file, caption, second.reason);
  return undefined;
}

type UploadResult = { status: 'sent'; messageId?: number } | { status: 'refused'; method: string; reason: string };

/** Telegram refuses this upload as a request (400), not the chat: another form of the file may pass. */
const refusedAsSent = (error: unknown): error is TelegramApiError =>
  error instanceof TelegramApiError && error.status === 400 && !/chat not found/i.test(error.description);

async function uploadFile(
  deps: RelayDeps,
  to: Recipient,
  file: OperatorFile,
  caption: string | undefined,
  asDocument: boolean,
): Promise<UploadResult> {
  const budget = Math.min(60_000, deps.deadline.remaining() - UPLOAD_RESERVE_MS);
  if (budget < 1_000) throw new DeliveryFailure('transient', 'telegram', 'no_time_left');
  const started = performance.now();
  let download: Awaited<ReturnType<typeof openOperatorFile>>;
  try {
    download = await openOperatorFile(file, {
      allowedHosts: allowedFileHosts(deps.settings),
      timeoutMs: Math.min(budget, deps.webim.timeoutMs),
    });
  } catch (error) {
    if (error instanceof OperatorFileError && error.kind === 'permanent') {
      await sendNote(deps, to, file, caption, error.reason);
      return { status: 'sent' };
    }
    throw new DeliveryFailure(
      'transient',
      'webim',
      error instanceof OperatorFileError ? error.reason : 'file_host_unreachable',
      undefined,
      { cause: error },
    );
  }
  const mediaType = file.mediaType ?? download.mediaType ?? 'application/octet-stream';
  const size = download.length ?? file.size;
  const { method, field } = asDocument ? { method: 'sendDocument' as const, field: 'document' } : uploadMethodFor(mediaType, size);
  const remaining = Math.max(1_000, deps.deadline.remaining() - UPLOAD_RESERVE_MS);
  let sentMessage: { message_id?: number } | undefined;
  try {
    sentMessage = await timedUpstream(deps, () =>
      deps.telegram.sendFile(
        method,
        { chat_id: String(to.chatId), ...businessParams(to), ...(caption ? { caption } : {}) },
        { field, name: file.name, mediaType, body: download.body, length: download.length, maxBytes: OPERATOR_FILE_LIMIT_BYTES },
        {
          timeoutMs: remaining,
          onSourceError: (reason) =>
            new OperatorFileError(
              reason === 'too_large' ? 'permanent' : 'transient',
              reason === 'too_large' ? 'file_too_large' : 'file_host_aborted',
            ),
        },
      ),
    );
  } catch (error) {
    if (error instanceof OperatorFileError) {
      if (error.kind === 'permanent') {
        await sendNote(deps, to, file, caption, error.reason);
        return { status: 'sent' };
      }
      throw new DeliveryFailure('transient', 'webim', error.reason, undefined, { cause: error });
    }
    if (refusedAsSent(error)) return { status: 'refused', method, reason: telegramDeliveryFailure(error).reason };
    const failure = telegramDeliveryFailure(error);
    if (failure.kind === 'blocked')
      await setChatBlocked(deps.db, to.chatKey, true).catch((e: unknown) => deps.log.warn('chat_block_record_failed', { error: e }));
    throw failure;
  }
  deps.log.info('file_relayed_to_telegram', {
    method,
    media_type: mediaType,
    size,
    fallback: asDocument || undefined,
    duration_ms: Math.round(performance.now() - started),
  });
  return { status: 'sent', messageId: sentMessage?.message_id };
}

/** The user gets the file's name and a short note instead of the file; the reason is logged (not the name). */
async function sendNote(deps: RelayDeps, to: Recipient, file: OperatorFile, caption: string | undefined, reason: string): Promise<void> {
  deps.log.error('file_not_delivered', { reason, error_class: 'permanent', media_type: file.mediaType, size: file.size });
  const language = await chatLanguageOf(deps.db, to.chatKey).catch(() => undefined);
  const note = `${userWordsOf(deps.settings, language).fileNotDelivered(file.name)}${caption ? `\n${caption}` : ''}`;
  await sendTextToUser(deps, to, note);
}
