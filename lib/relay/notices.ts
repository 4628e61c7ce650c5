import { businessRefusalText } from '../core/business-words';
import type { RelayOutcome } from '../core/outcome';
import { noteWebimDelay } from '../db/conversation';
import type { DeskWords } from '../i18n/words';
import { deskWordsOf, userLanguageOf, userTextOf } from '../settings/texts';
import { noteIdFor } from '../webim/wire';
import { type RelayDeps, timedUpstream } from './deps';
import { type Recipient, recipientOf, sendTextToUser } from './send-to-user';

/** A note or notice gets at most this long; it never holds up the answer for more. */
const NOTICE_TIMEOUT_MS = 2_000;
/** An outage of Webim ends after this long without a failure (a new one starts the notice anew). */
const OUTAGE_GAP_SECONDS = 600;

/** What an operator reads for a reason a reply did not reach the user (never the text). */
function undeliveredReasonText(desk: DeskWords, reason: string | undefined): string {
  const why = desk.undeliveredWhy;
  const business = reason ? businessRefusalText(desk, reason) : undefined;
  if (business) return business;
  if (!reason || reason === 'blocked_by_user') return why.blocked;
  if (reason === 'chat_not_found') return why.chatNotFound;
  if (reason === 'forbidden') return why.forbidden;
  if (reason.startsWith('dead_lettered')) return why.gaveUp(reason.replace(/^dead_lettered_?/, ''));
  if (reason.startsWith('bad_request')) return why.refused(reason);
  return reason;
}

/**
 * Tells the operators, in the visitor's Webim chat, that a reply did not reach the user — once
 * per failed reply (the invocation that completed its claim calls this; a redelivery is a
 * duplicate and does not), with a stable note id Webim can drop a repeat by. Never throws and
 * never changes the reply's outcome.
 */
export async function noteUndelivered(deps: RelayDeps, visitorId: string, messageId: string, reason: string | undefined): Promise<void> {
  const desk = deskWordsOf(deps.settings);
  await postNote(deps, visitorId, noteIdFor(messageId), desk.notDelivered(undeliveredReasonText(desk, reason)));
}

/** A note only operators see (kind `for_operator`), best effort. */
export async function postNote(deps: RelayDeps, visitorId: string, noteId: string, text: string): Promise<void> {
  const budget = Math.min(NOTICE_TIMEOUT_MS, deps.deadline.remaining() - 500);
  if (budget < 250) {
    deps.log.warn('operator_note_failed', { note_id: noteId, reason: 'no_time_left' });
    return;
  }
  try {
    await timedUpstream(deps, () => deps.webim.sendOperatorNote({ visitorId, noteId, text }, budget));
    deps.log.info('operator_note_sent', { note_id: noteId });
  } catch (error) {
    deps.log.warn('operator_note_failed', { note_id: noteId, error });
  }
}

/**
 * After a user's message met Webim: when Webim refused it for good, the user is told
 * (UNDELIVERED_NOTICE_TEXT); when Webim is unreachable and the chat's messages have waited
 * DELAY_NOTICE_AFTER_SECONDS, the user is told once per outage (DELAY_NOTICE_TEXT, rate-limited in
 * the database). Both in the language of the user's `languageCode` (the message's sender). Best
 * effort: never throws, never changes the outcome.
 */
export async function tellUser(deps: RelayDeps, to: number | Recipient, outcome: RelayOutcome, languageCode?: string): Promise<void> {
  const recipient = recipientOf(to);
  const chatId = recipient.chatKey;
  const language = userLanguageOf(deps.settings, languageCode);
  try {
    const undelivered = userTextOf(deps.settings, 'UNDELIVERED_NOTICE_TEXT', language).text;
    const delayed = userTextOf(deps.settings, 'DELAY_NOTICE_TEXT', language).text;
    if (outcome.status === 'done' && outcome.result === 'failed_permanent' && outcome.failure?.upstream === 'webim' && undelivered) {
      await sendTextToUser(deps, recipient, undelivered);
      deps.log.info('user_notice_sent', { notice: 'undelivered', chat_id: chatId, language });
    } else if (outcome.status === 'retry' && outcome.upstream === 'webim' && delayed) {
      const due = await noteWebimDelay(deps.db, chatId, {
        afterSeconds: deps.settings.DELAY_NOTICE_AFTER_SECONDS,
        gapSeconds: OUTAGE_GAP_SECONDS,
      });
      if (!due) return;
      await sendTextToUser(deps, recipient, delayed);
      deps.log.info('user_notice_sent', { notice: 'delayed', chat_id: chatId, language });
    }
  } catch (error) {
    deps.log.warn('user_notice_failed', { chat_id: chatId, error });
  }
}
