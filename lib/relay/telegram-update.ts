import type { Update } from '@grammyjs/types';
import { setChatBlocked } from '../db/chat-mapping';
import { claimUpdate, claimUpdateForChat } from '../db/delivery-claims';
import { DeliveryFailure } from '../delivery/failure';
import { interpretUpdate, type UpdateIntent } from '../telegram/update';
import { webimDeliveryFailure } from '../webim/errors';
import { webimMessageIdFor } from '../webim/wire';
import { statusText } from '../admin/status';
import { finish, runClaimed } from './claimed';
import type { RelayDeps } from './deps';
import { done, type RelayOutcome } from './outcome';
import { sendTextToUser } from './send-to-user';

/** Time kept back after the Webim call for completing the claim and answering. */
const WEBIM_RESERVE_MS = 1_000;
/** A Webim call with less time than this is not started. */
const WEBIM_MIN_ATTEMPT_MS = 250;

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
    deps.log.error('message_not_delivered', { update_id: update.update_id, reason: 'uninterpretable_update', error_class: 'permanent', error });
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
    return runClaimed(deps, log, ids, () => claimUpdate(deps.db, key, lease), async () => {
      await sendTextToUser({ ...deps, log }, intent.chatId, await statusText(deps));
      return 'answered';
    });
  }

  if (intent.kind === 'membership') {
    return runClaimed(
      deps,
      log,
      ids,
      () => claimUpdate(deps.db, key, lease),
      async () => {
        const known = await setChatBlocked(deps.db, intent.chatId, intent.blocked);
        log.info('chat_block_state_changed', { blocked: intent.blocked, known_chat: known });
        return 'recorded';
      },
    );
  }

  // Claiming the update also creates (or refreshes) the chat's mapping: one round trip.
  return runClaimed(
    deps,
    log,
    ids,
    () => claimUpdateForChat(deps.db, key, intent.chatId, lease),
    async ({ mapping }) => {
      if (mapping.created || intent.kind === 'start') log.info('chat_registered', { visitor_id: mapping.visitorId, created: mapping.created });
      if (intent.kind === 'start') {
        if (!deps.settings.WELCOME_TEXT) return 'recorded';
        await sendTextToUser({ ...deps, log }, intent.chatId, deps.settings.WELCOME_TEXT);
        return 'answered';
      }
      const webimMessageId = webimMessageIdFor(intent.chatId, intent.messageId, intent.edited ? update.update_id : undefined);
      const budget = Math.min(deps.webim.timeoutMs, deps.deadline.remaining() - WEBIM_RESERVE_MS);
      if (budget < WEBIM_MIN_ATTEMPT_MS) throw new DeliveryFailure('transient', 'webim', 'no_time_left');
      const post = () =>
        deps.webim.sendVisitorMessage(
          { visitorId: mapping.visitorId, name: intent.sender.name, login: intent.sender.login, messageId: webimMessageId, text: intent.text },
          budget,
        );
      try {
        await (deps.upstream ? deps.upstream.time(post) : post());
      } catch (error) {
        throw webimDeliveryFailure(error);
      }
      log.info('relayed_to_webim', {
        visitor_id: mapping.visitorId,
        webim_message_id: webimMessageId,
        content_type: intent.contentType,
        edited: intent.edited,
      });
      return 'relayed';
    },
  );
}
