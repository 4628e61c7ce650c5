import type { Update } from '@grammyjs/types';
import { setChatBlocked } from '../db/chat-mapping';
import { claimDelivery, claimUpdateForChat } from '../db/delivery-claims';
import { DeliveryFailure } from '../delivery/failure';
import { interpretUpdate } from '../telegram/update';
import { classifyWebimError } from '../webim/errors';
import { webimMessageIdFor } from '../webim/wire';
import { runClaimed } from './claimed';
import type { RelayDeps } from './deps';
import { done, type RelayOutcome } from './outcome';
import { sendTextToUser } from './send-to-user';

/**
 * Use-case: relay one Telegram update. Every update gets a deliberate outcome — relayed to
 * Webim, answered (/start), recorded (block state), or ignored — and is processed at most once
 * to completion, keyed by its update_id.
 */
export async function relayTelegramUpdate(deps: RelayDeps, update: Update): Promise<RelayOutcome> {
  const intent = interpretUpdate(update);
  const log = deps.log.child({ update_id: update.update_id, chat_id: intent.chatId, intent: intent.kind });

  if (intent.kind === 'ignore') {
    log.info('telegram_update_ignored', { reason: intent.reason });
    return done('ignored');
  }

  const key = String(update.update_id);
  const lease = deps.settings.CLAIM_LEASE_SECONDS;

  if (intent.kind === 'membership') {
    const claim = async () => ({ claim: await claimDelivery(deps.db, 'telegram_update', key, lease) });
    return runClaimed(deps, log, 'telegram_update', key, claim, async () => {
      const known = await setChatBlocked(deps.db, intent.chatId, intent.blocked);
      log.info('chat_block_state_changed', { blocked: intent.blocked, known_chat: known });
      return 'recorded';
    });
  }

  // Claiming the update also creates (or refreshes) the chat's mapping: one round trip.
  return runClaimed(
    deps,
    log,
    'telegram_update',
    key,
    () => claimUpdateForChat(deps.db, key, intent.chatId, lease),
    async (_partsDone, { mapping }) => {
      if (!mapping) throw new Error('claimed update has no mapping');
      if (mapping.created || intent.kind === 'start') log.info('chat_registered', { visitor_id: mapping.visitorId, created: mapping.created });
      if (intent.kind === 'start') {
        if (!deps.settings.WELCOME_TEXT) return 'recorded';
        await sendTextToUser({ ...deps, log }, intent.chatId, deps.settings.WELCOME_TEXT);
        return 'answered';
      }
      const webimMessageId = webimMessageIdFor(intent.chatId, intent.messageId, intent.editDate);
      try {
        await deps.webim.sendVisitorMessage({
          visitorId: mapping.visitorId,
          name: intent.sender.name,
          login: intent.sender.login,
          messageId: webimMessageId,
          text: intent.text,
        });
      } catch (error) {
        const c = classifyWebimError(error);
        throw new DeliveryFailure(c.kind, 'webim', c.reason, undefined, { cause: error });
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
