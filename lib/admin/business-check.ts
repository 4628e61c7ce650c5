import { type ConnectionSummary, listBusinessConnections } from '../db/business';
import type { Database } from '../db/database';
import type { Check } from './check';

/** How an account is named in the doctor's line: its username, else its owner's id. */
const accountOf = (c: ConnectionSummary) => (c.ownerUsername ? `@${c.ownerUsername}` : `account ${c.ownerUserId}`);

/**
 * The doctor's `business` line: which Telegram Business accounts are connected and whether the
 * bot may reply through each (ids and states from the database, no text). A connected account
 * that does not let the bot reply is a warning: its customers reach the desk, the answers cannot
 * go back. Undefined when the database cannot say (the database and migrations lines tell why).
 */
export async function businessConnectionsCheck(db: Database): Promise<Check | undefined> {
  let connections: ConnectionSummary[];
  try {
    connections = await listBusinessConnections(db);
  } catch {
    return undefined;
  }
  const enabled = connections.filter((c) => c.isEnabled);
  const disconnected = connections.length - enabled.length;
  if (!enabled.length)
    return {
      name: 'business',
      status: 'ok',
      detail: `no Telegram Business account connected${disconnected ? ` (${disconnected} disconnected)` : ''}`,
    };
  const described = enabled.map(
    (c) =>
      `${accountOf(c)} (${c.canReply ? 'may reply' : 'may NOT reply'}${c.canReadMessages ? ', read receipts' : ''}, ${c.chats} chat${c.chats === 1 ? '' : 's'})`,
  );
  const mute = enabled.filter((c) => !c.canReply);
  return {
    name: 'business',
    status: mute.length ? 'warn' : 'ok',
    detail: `${enabled.length} connected: ${described.join('; ')}${disconnected ? `; ${disconnected} disconnected` : ''}`,
    hint: mute.length
      ? `in Telegram, on ${mute.map(accountOf).join(', ')}: Settings → Telegram Business → Chatbots → the bot, allow it to reply to messages (docs/business.md)`
      : undefined,
  };
}
