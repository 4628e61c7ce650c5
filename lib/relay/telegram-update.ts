import type { Update } from '@grammyjs/types';
import { done, type RelayOutcome } from '../core/outcome';
import type { BusinessChatMapping } from '../db/business';
import { rememberChatLanguage, setChatBlocked } from '../db/chat-mapping';
import { buttonIdOf, ratingOfCallbackData } from '../db/conversation';
import { type ClaimAttempt, claimUpdate, claimUpdateForChat } from '../db/delivery-claims';
import { sealFileLink } from '../files/link';
import type { Logger } from '../log';
import { deskWordsOf, userLanguageOf, userTextOf, userWordsOf } from '../settings/texts';
import { BOT_DOWNLOAD_LIMIT_BYTES, humanSize } from '../telegram/files';
import { interpretUpdate, type UpdateIntent } from '../telegram/update';
import {
  captionIdFor,
  noteIdFor,
  pressMessageIdFor,
  type VisitorFileInput,
  type VisitorMessageInput,
  webimMessageIdFor,
} from '../webim/wire';
import {
  businessAccountOf,
  businessRecipient,
  claimBusinessChat,
  learnConnection,
  relayBusinessConnection,
  relayBusinessDeleted,
  relayOwnerMessage,
} from './business';
import { finish, runClaimed } from './claimed';
import { pressAnswerBudgetMs, type RelayDeps, timedUpstream } from './deps';
import { reactToDelivered, relayRatingPress, relayReaction } from './feedback';
import { postNote, tellUser } from './notices';
import { type Recipient, sendTextToUser } from './send-to-user';
import { callWebim } from './webim-call';

/**
 * Use-case: relay one Telegram update. Every update gets a deliberate outcome — relayed to
 * Webim, answered (/start), recorded (block state), or ignored — and is processed at most once
 * to completion, keyed by its update_id. An update the code cannot interpret is logged with its
 * ids and acknowledged: Telegram would otherwise send it again forever.
 */
export async function relayTelegramUpdate(deps: RelayDeps, update: Update): Promise<RelayOutcome> {
  let intent: UpdateIntent;
  try {
    intent = interpretUpdate(update, { adminChatId: deps.settings.ADMIN_CHAT_ID, desk: deskWordsOf(deps.settings) });
  } catch (error) {
    deps.log.error('message_not_delivered', {
      update_id: update.update_id,
      reason: 'uninterpretable_update',
      error_class: 'permanent',
      error,
    });
    return finish(deps, done('failed_permanent'));
  }
  const log = deps.log.child({ update_id: update.update_id, chat_id: intent.chatId, intent: intent.kind });

  if (intent.kind === 'ignore') {
    log.info('telegram_update_ignored', { reason: intent.reason });
    return finish(deps, done('ignored'));
  }

  const key = String(update.update_id);
  const lease = deps.settings.CLAIM_LEASE_SECONDS;
  const ids = { chatId: intent.chatId, messageId: key };

  if (intent.kind === 'admin_status') {
    return runClaimed(
      deps,
      log,
      ids,
      () => claimUpdate(deps.db, key, lease),
      async () => {
        await sendTextToUser(
          { ...deps, log },
          intent.chatId,
          deps.statusReport ? await deps.statusReport(deps) : deskWordsOf(deps.settings).statusUnavailable,
        );
        return 'answered';
      },
    );
  }

  if (intent.kind === 'membership') {
    return runClaimed(
      deps,
      log,
      ids,
      () => claimUpdate(deps.db, key, lease),
      async () => {
        const { known, wasBlocked, visitorId } = await setChatBlocked(deps.db, intent.chatId, intent.blocked);
        log.info('chat_block_state_changed', { blocked: intent.blocked, known_chat: known });
        // The operators see the change in the visitor's chat, once (this update is claimed once).
        if (visitorId && wasBlocked !== intent.blocked) {
          await postNote(
            { ...deps, log },
            visitorId,
            noteIdFor(`${intent.blocked ? 'blocked' : 'unblocked'}-${update.update_id}`),
            intent.blocked ? deskWordsOf(deps.settings).blocked : deskWordsOf(deps.settings).unblocked,
          );
        }
        return 'recorded';
      },
    );
  }

  if (intent.kind === 'reaction') return relayReaction(deps, log, key, intent);
  if (intent.kind === 'button_press') {
    const rating = ratingOfCallbackData(intent.data);
    return rating ? relayRatingPress(deps, log, key, intent, rating) : relayButtonPress(deps, log, key, intent);
  }
  if (intent.kind === 'business_connection') return relayBusinessConnection(deps, log, key, intent);
  if (intent.kind === 'business_owner_message') return relayOwnerMessage(deps, log, key, intent);
  if (intent.kind === 'business_deleted') return relayBusinessDeleted(deps, log, key, intent);

  // The bot's reaction to the user's message (DELIVERY_REACTION), started once Webim has it.
  let reacted: Promise<void> | undefined;

  // A customer of a business account is a chat of its own (its own key and visitor), apart from
  // the same person's chat with the bot.
  const business = intent.kind === 'visitor_message' ? intent.business : undefined;
  /** Where notices to this user go (known once the update is claimed). */
  let recipient: Recipient | undefined = business ? undefined : { chatId: intent.chatId, chatKey: intent.chatId };
  // Claiming the update also creates (or refreshes) the chat's mapping: one round trip.
  const outcome = await runClaimed(
    deps,
    log,
    ids,
    (): Promise<ClaimAttempt<{ mapping: { visitorId: string; created: boolean } & Partial<BusinessChatMapping> }>> =>
      business && intent.kind === 'visitor_message'
        ? claimBusinessChat(deps, key, { connectionId: business.connectionId, chatId: intent.chatId, messageId: intent.messageId })
        : claimUpdateForChat(deps.db, key, intent.chatId, lease),
    async ({ mapping, claim }) => {
      const chatKey = mapping.chatKey ?? intent.chatId;
      if (business && mapping.chatKey !== undefined)
        recipient = businessRecipient(mapping as BusinessChatMapping, { connectionId: business.connectionId, chatId: intent.chatId });
      // A connection never recorded yet: its account's name is asked of Telegram, once.
      if (business && mapping.ownerUserId === undefined && claim.partsDone < 1)
        Object.assign(mapping, await learnConnection(deps, log, business.connectionId));
      if (mapping.created || intent.kind === 'start')
        log.info('chat_registered', {
          visitor_id: mapping.visitorId,
          created: mapping.created,
          start_param: intent.kind === 'start' && intent.payload ? true : undefined,
        });
      // The user's language, kept for texts sent later in answer to Webim: written beside the Webim call, not before it.
      const remembered = rememberLanguage(deps, log, chatKey, intent.sender.language, mapping.created);
      const visitor = {
        visitorId: mapping.visitorId,
        name: intent.sender.name,
        login: intent.sender.login,
        language: intent.sender.language,
        ...(business ? { businessAccount: businessAccountOf(deps, mapping as BusinessChatMapping) } : {}),
      };
      if (intent.kind === 'start') {
        // A deep link's payload (an ad, a campaign) reaches the operator as a visitor field and a visible line.
        if (intent.payload && claim.partsDone < 1) {
          await postToWebim(deps, {
            ...visitor,
            startParam: intent.payload,
            messageId: webimMessageIdFor(intent.chatId, intent.messageId),
            text: deskWordsOf(deps.settings).startedFromLink(intent.payload, intent.sender.language),
          });
          await claim.recordParts(1).catch((e: unknown) => log.warn('progress_record_failed', { error: e }));
          log.info('relayed_to_webim', { visitor_id: mapping.visitorId, content_type: 'start_link' });
        }
        const welcome = userTextOf(deps.settings, 'WELCOME_TEXT', userLanguageOf(deps.settings, intent.sender.language)).text;
        if (!welcome) {
          await remembered;
          return intent.payload ? 'relayed' : 'recorded';
        }
        await sendTextToUser({ ...deps, log }, intent.chatId, welcome);
        await remembered;
        return 'answered';
      }
      const webimMessageId = webimMessageIdFor(chatKey, intent.messageId, intent.edited ? update.update_id : undefined);
      const parts = webimPartsFor(deps, log, intent, webimMessageId);
      // A file and its caption are two Webim messages: progress is recorded after the first, so a
      // retry after a failure of the second does not post the file again.
      for (let i = claim.partsDone; i < parts.length; i++) {
        const part = parts[i] as WebimPart;
        await postToWebim(
          deps,
          part.file ? { ...visitor, messageId: part.id, file: part.file } : { ...visitor, messageId: part.id, text: part.text ?? '' },
        );
        if (parts.length > 1) await claim.recordParts(i + 1).catch((e: unknown) => log.warn('progress_record_failed', { error: e }));
      }
      // Not awaited here: it runs while the claim's completion is written, and is awaited below.
      if (deps.settings.DELIVERY_REACTION && !intent.edited) reacted = reactToDelivered(deps, log, intent.chatId, intent.messageId);
      log.info('relayed_to_webim', {
        visitor_id: mapping.visitorId,
        webim_message_id: webimMessageId,
        content_type: intent.contentType,
        edited: intent.edited,
        business: business ? true : undefined,
        parts: parts.length,
        ...(intent.file ? { media_type: intent.file.mediaType, size: intent.file.size } : {}),
      });
      await remembered;
      return 'relayed';
    },
  );
  await reacted;
  // The user hears when Webim refused their message for good, or has been unreachable for a while.
  if (intent.kind === 'visitor_message' && recipient) await tellUser({ ...deps, log }, recipient, outcome, intent.sender.language);
  return outcome;
}

/** Keeps the user's language code with the chat (best effort: a failure costs only the language of a later text). */
const rememberLanguage = (deps: RelayDeps, log: Logger, chatId: number, code: string | undefined, fresh?: boolean): Promise<void> =>
  rememberChatLanguage(deps.db, chatId, code, fresh).catch((error: unknown) => log.warn('chat_language_record_failed', { error }));

/** Posts one visitor message or file to Webim. */
const postToWebim = (deps: RelayDeps, input: (VisitorMessageInput & { file?: undefined }) | VisitorFileInput): Promise<void> =>
  callWebim(deps, (budget) =>
    'file' in input && input.file
      ? deps.webim.sendVisitorFile(input, budget)
      : deps.webim.sendVisitorMessage(input as VisitorMessageInput, budget),
  );

/**
 * The user pressed an operator's button: answered at once (answerCallbackQuery: the spinner
 * stops), relayed to Webim as a `keyboard_response` with the button's id and label, once per press
 * (the update is claimed), and the keyboard message edited to show the choice. A press of a
 * button whose id is no longer known (an expired token) is answered and logged.
 */
async function relayButtonPress(
  deps: RelayDeps,
  log: Logger,
  key: string,
  intent: Extract<UpdateIntent, { kind: 'button_press' }>,
): Promise<RelayOutcome> {
  const business = intent.business;
  return runClaimed(
    deps,
    log,
    { chatId: intent.chatId, messageId: key },
    (): Promise<ClaimAttempt<{ mapping: { visitorId: string } & Partial<BusinessChatMapping> }>> =>
      business
        ? claimBusinessChat(deps, key, { connectionId: business.connectionId, chatId: intent.chatId })
        : claimUpdateForChat(deps.db, key, intent.chatId, deps.settings.CLAIM_LEASE_SECONDS),
    async ({ mapping }) => {
      const remembered = rememberLanguage(deps, log, intent.chatId, intent.sender.language);
      await timedUpstream(deps, () => deps.telegram.answerCallbackQuery(intent.callbackQueryId, pressAnswerBudgetMs(deps))).catch(
        (error: unknown) => log.warn('button_answer_failed', { error }),
      );
      const buttonId = await buttonIdOf(deps.db, mapping.visitorId, intent.data);
      if (buttonId === undefined) {
        log.warn('telegram_update_ignored', { reason: 'button_unknown' });
        await remembered;
        return 'ignored';
      }
      const text = intent.buttonText ?? buttonId;
      await callWebim(deps, (budget) =>
        deps.webim.sendKeyboardResponse(
          {
            visitorId: mapping.visitorId,
            name: intent.sender.name,
            login: intent.sender.login,
            language: intent.sender.language,
            ...(business ? { businessAccount: businessAccountOf(deps, mapping as BusinessChatMapping) } : {}),
            messageId: pressMessageIdFor(mapping.chatKey ?? intent.chatId, key),
            button: { id: buttonId, text },
          },
          budget,
        ),
      );
      log.info('relayed_to_webim', { visitor_id: mapping.visitorId, content_type: 'button_press' });
      if (intent.keyboardMessageId !== undefined) {
        const shown = `${intent.keyboardText ?? ''}\n\n${userWordsOf(deps.settings, intent.sender.language).chosen(text)}`.trim();
        await timedUpstream(deps, () =>
          deps.telegram.editMessageText(
            intent.chatId,
            intent.keyboardMessageId as number,
            shown,
            pressAnswerBudgetMs(deps),
            undefined,
            business?.connectionId,
          ),
        ).catch((error: unknown) => log.warn('keyboard_edit_failed', { error }));
      }
      await remembered;
      return 'relayed';
    },
  );
}

/** One Webim message of a relayed Telegram message: a text, or a file by link. */
interface WebimPart {
  id: string;
  text?: string;
  file?: { url: string; name: string; mediaType: string; size?: number };
}

/**
 * What the operator receives for a message: its text; or a file message (a sealed link to the
 * bridge's file route) followed by the caption as its own message (`…-caption`). A file over
 * Telegram's 20 MB bot download limit becomes a text saying so, with its name and size. Without
 * FILE_LINK_SECRET, files are described in text as before.
 */
function webimPartsFor(deps: RelayDeps, log: Logger, intent: Extract<UpdateIntent, { kind: 'visitor_message' }>, id: string): WebimPart[] {
  const file = intent.file;
  if (!file) return [{ id, text: intent.text }];
  const caption: WebimPart[] = intent.text ? [{ id: captionIdFor(id), text: intent.text }] : [];
  if (file.size !== undefined && file.size > BOT_DOWNLOAD_LIMIT_BYTES) {
    log.warn('file_too_large_to_relay', { media_type: file.mediaType, size: file.size });
    return [
      {
        id,
        text: deskWordsOf(deps.settings).fileTooLarge(file.name, humanSize(file.size)),
      },
      ...caption,
    ];
  }
  const { FILE_LINK_SECRET: secret, FILE_LINK_BASE_URL: base, FILE_LINK_TTL_HOURS: ttlHours } = deps.settings;
  if (!secret || !base) {
    log.warn('file_links_not_configured', { media_type: file.mediaType });
    return [{ id, text: `${deskWordsOf(deps.settings).fileAsText(file.kind, file.name)}${intent.text ? ` ${intent.text}` : ''}` }];
  }
  const token = sealFileLink(secret, {
    fileId: file.fileId,
    name: file.name,
    mediaType: file.mediaType,
    expiresAt: Math.floor(Date.now() / 1000) + ttlHours * 3600,
  });
  return [{ id, file: { url: `${base}/files/${token}`, name: file.name, mediaType: file.mediaType, size: file.size } }, ...caption];
}
