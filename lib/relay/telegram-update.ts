import type { Update } from '@grammyjs/types';
import { done, type RelayOutcome } from '../core/outcome';
import { setChatBlocked } from '../db/chat-mapping';
import { buttonIdOf, ratingOfCallbackData } from '../db/conversation';
import { claimUpdate, claimUpdateForChat } from '../db/delivery-claims';
import { sealFileLink } from '../files/link';
import type { Logger } from '../log';
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
import { finish, runClaimed } from './claimed';
import { type RelayDeps, timedUpstream } from './deps';
import { reactToDelivered, relayRatingPress, relayReaction } from './feedback';
import { postNote, tellUser } from './notices';
import { sendTextToUser } from './send-to-user';
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
    intent = interpretUpdate(update, { adminChatId: deps.settings.ADMIN_CHAT_ID });
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
          deps.statusReport ? await deps.statusReport(deps) : 'Status is not available here.',
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
            intent.blocked
              ? '⚠ The user blocked the bot: replies will not reach them until they unblock it.'
              : '✓ The user unblocked the bot: replies reach them again.',
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

  // The bot's reaction to the user's message (DELIVERY_REACTION), started once Webim has it.
  let reacted: Promise<void> | undefined;

  // Claiming the update also creates (or refreshes) the chat's mapping: one round trip.
  const outcome = await runClaimed(
    deps,
    log,
    ids,
    () => claimUpdateForChat(deps.db, key, intent.chatId, lease),
    async ({ mapping, claim }) => {
      if (mapping.created || intent.kind === 'start')
        log.info('chat_registered', {
          visitor_id: mapping.visitorId,
          created: mapping.created,
          start_param: intent.kind === 'start' && intent.payload ? true : undefined,
        });
      const visitor = {
        visitorId: mapping.visitorId,
        name: intent.sender.name,
        login: intent.sender.login,
        language: intent.sender.language,
      };
      if (intent.kind === 'start') {
        // A deep link's payload (an ad, a campaign) reaches the operator as a visitor field and a visible line.
        if (intent.payload && claim.partsDone < 1) {
          await postToWebim(deps, {
            ...visitor,
            startParam: intent.payload,
            messageId: webimMessageIdFor(intent.chatId, intent.messageId),
            text: `🔗 Started the bot from a link: ${intent.payload}`,
          });
          await claim.recordParts(1).catch((e: unknown) => log.warn('progress_record_failed', { error: e }));
          log.info('relayed_to_webim', { visitor_id: mapping.visitorId, content_type: 'start_link' });
        }
        if (!deps.settings.WELCOME_TEXT) return intent.payload ? 'relayed' : 'recorded';
        await sendTextToUser({ ...deps, log }, intent.chatId, deps.settings.WELCOME_TEXT);
        return 'answered';
      }
      const webimMessageId = webimMessageIdFor(intent.chatId, intent.messageId, intent.edited ? update.update_id : undefined);
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
        parts: parts.length,
        ...(intent.file ? { media_type: intent.file.mediaType, size: intent.file.size } : {}),
      });
      return 'relayed';
    },
  );
  await reacted;
  // The user hears when Webim refused their message for good, or has been unreachable for a while.
  if (intent.kind === 'visitor_message') await tellUser({ ...deps, log }, intent.chatId, outcome);
  return outcome;
}

/** Posts one visitor message or file to Webim. */
const postToWebim = (deps: RelayDeps, input: (VisitorMessageInput & { file?: undefined }) | VisitorFileInput): Promise<void> =>
  callWebim(deps, (budget) =>
    'file' in input && input.file
      ? deps.webim.sendVisitorFile(input, budget)
      : deps.webim.sendVisitorMessage(input as VisitorMessageInput, budget),
  );

/** How long the press is answered within (Telegram shows a spinner on the button until then). */
const ANSWER_TIMEOUT_MS = 2_000;

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
  return runClaimed(
    deps,
    log,
    { chatId: intent.chatId, messageId: key },
    () => claimUpdateForChat(deps.db, key, intent.chatId, deps.settings.CLAIM_LEASE_SECONDS),
    async ({ mapping }) => {
      await timedUpstream(deps, () =>
        deps.telegram.answerCallbackQuery(intent.callbackQueryId, Math.min(ANSWER_TIMEOUT_MS, deps.telegram.timeoutMs)),
      ).catch((error: unknown) => log.warn('button_answer_failed', { error }));
      const buttonId = await buttonIdOf(deps.db, mapping.visitorId, intent.data);
      if (buttonId === undefined) {
        log.warn('telegram_update_ignored', { reason: 'button_unknown' });
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
            messageId: pressMessageIdFor(intent.chatId, key),
            button: { id: buttonId, text },
          },
          budget,
        ),
      );
      log.info('relayed_to_webim', { visitor_id: mapping.visitorId, content_type: 'button_press' });
      if (intent.keyboardMessageId !== undefined) {
        const shown = `${intent.keyboardText ?? ''}\n\n✓ ${text}`.trim();
        await timedUpstream(deps, () =>
          deps.telegram.editMessageText(
            intent.chatId,
            intent.keyboardMessageId as number,
            shown,
            Math.min(ANSWER_TIMEOUT_MS, deps.telegram.timeoutMs),
          ),
        ).catch((error: unknown) => log.warn('keyboard_edit_failed', { error }));
      }
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
        text: `📎 The user sent a file too large to relay: ${file.name} (${humanSize(file.size)}). Ask them for a smaller one or another channel.`,
      },
      ...caption,
    ];
  }
  const { FILE_LINK_SECRET: secret, FILE_LINK_BASE_URL: base, FILE_LINK_TTL_HOURS: ttlHours } = deps.settings;
  if (!secret || !base) {
    log.warn('file_links_not_configured', { media_type: file.mediaType });
    return [{ id, text: `[${file.kind.replace('_', ' ')}: ${file.name}]${intent.text ? ` ${intent.text}` : ''}` }];
  }
  const token = sealFileLink(secret, {
    fileId: file.fileId,
    name: file.name,
    mediaType: file.mediaType,
    expiresAt: Math.floor(Date.now() / 1000) + ttlHours * 3600,
  });
  return [{ id, file: { url: `${base}/files/${token}`, name: file.name, mediaType: file.mediaType, size: file.size } }, ...caption];
}
