import type { ReactionType, ReactionTypeEmoji } from '@grammyjs/types';
import type { RelayOutcome, RelayResult } from '../core/outcome';
import { ratingCallbackData } from '../db/conversation';
import { claimUpdateForChat, type HeldClaim } from '../db/delivery-claims';
import { claimReactionUpdate, recordRating } from '../db/feedback';
import { type Catalogue, type Language, wordsOf } from '../i18n/catalogue';
import type { Logger } from '../log';
import { deskWordsOf, userWordsOf } from '../settings/texts';
import type { UpdateIntent } from '../telegram/update';
import { noteIdFor, ratingMessageIdFor } from '../webim/wire';
import { runClaimed } from './claimed';
import { pressAnswerBudgetMs, type RelayDeps, timedUpstream } from './deps';
import { postNote } from './notices';
import { type Recipient, recipientOf, sendTextToUser } from './send-to-user';
import { callWebim } from './webim-call';

/**
 * What the user feels reaches the desk: the rating asked for when the operator closes the chat,
 * the user's reactions to replies (as operator notes), and the bot's reaction that tells the user
 * Webim has their message (DELIVERY_REACTION).
 */

/** The scores a user may give, worst first; each button reads `<score> ⭐` in every language. */
const SCORES = [1, 2, 3, 4, 5];

/**
 * The rating question with its five choices under it (one row), sent as part `partOffset` of the
 * chat-closed claim (after CHAT_CLOSED_TEXT when that is set), so a retry neither repeats nor
 * skips it. Each choice carries its score and the closed Webim chat (callback_data `rt:…`).
 */
export async function sendRatingPrompt(
  deps: RelayDeps,
  to: number | Recipient,
  language: Language,
  webimChatId: string | undefined,
  claim: HeldClaim,
  partOffset: number,
): Promise<void> {
  const keyboard = {
    inline_keyboard: [SCORES.map((score) => ({ text: `${score} ⭐`, callback_data: ratingCallbackData(score, webimChatId) }))],
  };
  await sendTextToUser(deps, to, wordsOf(language).user.ratingQuestion, claim, partOffset, { keyboard });
  deps.log.info('rating_prompt_sent', { chat_id: recipientOf(to).chatKey, language });
}

/**
 * The user pressed a rating choice. The press is answered at once; the first press of a prompt
 * counts (recorded atomically in the database, counted once in the statistics), reaches Webim as
 * a `rating` for the visitor (a stable id per prompt, so a redelivery is dropped there), is noted
 * for the operators, and the prompt then shows the choice instead of the buttons. Any later press
 * of the same prompt is answered and changes nothing.
 */
export function relayRatingPress(
  deps: RelayDeps,
  log: Logger,
  key: string,
  intent: Extract<UpdateIntent, { kind: 'button_press' }>,
  rating: { score: number; webimChatId?: string },
): Promise<RelayOutcome> {
  const promptId = intent.keyboardMessageId;
  const claim = () => claimUpdateForChat(deps.db, key, intent.chatId, deps.settings.CLAIM_LEASE_SECONDS);
  return runClaimed(deps, log, { chatId: intent.chatId, messageId: key }, claim, async ({ mapping }): Promise<RelayResult> => {
    await timedUpstream(deps, () => deps.telegram.answerCallbackQuery(intent.callbackQueryId, pressAnswerBudgetMs(deps))).catch(
      (error: unknown) => log.warn('button_answer_failed', { error }),
    );
    if (promptId === undefined) {
      log.warn('telegram_update_ignored', { reason: 'rating_without_prompt' });
      return 'ignored';
    }
    const { won, counted } = await recordRating(deps.db, intent.chatId, promptId, key, rating.score);
    if (!won) {
      log.info('telegram_update_ignored', { reason: 'rating_already_given' });
      return 'ignored';
    }
    if (counted && deps.metrics) deps.metrics.rating = rating.score;
    await callWebim(deps, (budget) =>
      deps.webim.sendRating(
        {
          visitorId: mapping.visitorId,
          name: intent.sender.name,
          login: intent.sender.login,
          language: intent.sender.language,
          messageId: ratingMessageIdFor(intent.chatId, promptId),
          score: rating.score,
          webimChatId: rating.webimChatId,
        },
        budget,
      ),
    );
    log.info('relayed_to_webim', { visitor_id: mapping.visitorId, content_type: 'rating', rating: rating.score });
    await postNote(
      { ...deps, log },
      mapping.visitorId,
      noteIdFor(ratingMessageIdFor(intent.chatId, promptId)),
      deskWordsOf(deps.settings).rated(rating.score),
    );
    const words = userWordsOf(deps.settings, intent.sender.language);
    // The question is asked again in the language of the user who pressed (the prompt went out before it was known).
    const shown = `${words.ratingQuestion}\n\n${words.rated(rating.score)}`;
    await timedUpstream(deps, () => deps.telegram.editMessageText(intent.chatId, promptId, shown, pressAnswerBudgetMs(deps))).catch(
      (error: unknown) => log.warn('keyboard_edit_failed', { error }),
    );
    return 'relayed';
  });
}

/** How a reaction reads in a note: its emoji; a custom emoji or a paid star by a word. */
function reactionLabel(reaction: ReactionType, desk: Catalogue['desk']): string {
  if (reaction.type === 'emoji') return reaction.emoji;
  return reaction.type === 'paid' ? desk.reactionPaid : desk.reactionCustomEmoji;
}

/**
 * The user changed their reaction to a message. On a reply the bridge delivered, the operators get
 * a note naming the reaction (added or taken back) and the reply by its Webim id — once per update
 * (claimed), retried like a message when Webim cannot take it now. On any other message it is
 * ignored. Two round trips: the claim (which also finds the reply) and the completion.
 */
export function relayReaction(
  deps: RelayDeps,
  log: Logger,
  key: string,
  intent: Extract<UpdateIntent, { kind: 'reaction' }>,
): Promise<RelayOutcome> {
  return runClaimed(
    deps,
    log,
    { chatId: intent.chatId, messageId: key },
    () => claimReactionUpdate(deps.db, key, intent.chatId, intent.messageId, deps.settings.CLAIM_LEASE_SECONDS),
    async ({ reply }): Promise<RelayResult> => {
      if (!reply) {
        log.info('telegram_update_ignored', { reason: 'reaction_not_on_a_reply' });
        return 'ignored';
      }
      const desk = deskWordsOf(deps.settings);
      const text = [
        ...intent.added.map((r) => desk.reactionAdded(reactionLabel(r, desk), reply.webimMessageId)),
        ...intent.removed.map((r) => desk.reactionRemoved(reactionLabel(r, desk), reply.webimMessageId)),
      ].join('\n');
      await callWebim(deps, (budget) =>
        deps.webim.sendOperatorNote({ visitorId: reply.visitorId, noteId: noteIdFor(`reaction-${key}`), text }, budget),
      );
      log.info('reaction_noted', {
        visitor_id: reply.visitorId,
        webim_message_id: reply.webimMessageId,
        added: intent.added.length,
        removed: intent.removed.length,
      });
      return 'relayed';
    },
  );
}

/** The longest the delivery reaction may add to the webhook's answer (it overlaps the claim's completion). */
export const DELIVERY_REACTION_TIMEOUT_MS = 1_000;

/**
 * The bot reacts to the user's message (DELIVERY_REACTION) once Webim has accepted it. Started
 * right after Webim's answer and awaited after the claim's completion, which runs meanwhile, so it
 * adds to the answer only what it takes beyond that statement, never more than
 * DELIVERY_REACTION_TIMEOUT_MS (on Lambda nothing may run after the answer). Never retried; a
 * failure is logged and changes nothing. Never rejects.
 */
export async function reactToDelivered(deps: RelayDeps, log: Logger, chatId: number, messageId: number): Promise<void> {
  const emoji = deps.settings.DELIVERY_REACTION as ReactionTypeEmoji['emoji'];
  const budget = Math.min(DELIVERY_REACTION_TIMEOUT_MS, deps.telegram.timeoutMs, deps.deadline.remaining() - 500);
  if (budget < 100) {
    log.warn('delivery_reaction_failed', { reason: 'no_time_left' });
    return;
  }
  try {
    await deps.telegram.setMessageReaction(chatId, messageId, emoji, budget);
    log.info('delivery_reaction_set');
  } catch (error) {
    log.warn('delivery_reaction_failed', { error });
  }
}
