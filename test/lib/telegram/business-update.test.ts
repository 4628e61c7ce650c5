import type { Update } from '@grammyjs/types';
import { describe, expect, it } from 'vitest';
import { classifyTelegramError, TelegramApiError } from '../../../lib/telegram/errors';
import { interpretUpdate, parseUpdate } from '../../../lib/telegram/update';
import { fixture } from '../../support/events';

const interpret = (name: string) => {
  const update = parseUpdate(fixture(`telegram/business/${name}.json`));
  expect(update, name).toBeDefined();
  return interpretUpdate(update as Update);
};

/** The business updates as Telegram sends them (Bot API 7.2+, rights 9.0), read without I/O. */
describe('Telegram Business updates', () => {
  it('reads a connection: ids, owner, every right granted, enabled', () => {
    expect(interpret('business_connection')).toEqual({
      kind: 'business_connection',
      connection: {
        id: 'AQADn9QAAHbbkqZ-uYvS3hM',
        ownerUserId: 502917734,
        ownerUsername: 'acme_flowers',
        userChatId: 502917734,
        isEnabled: true,
        canReply: true,
        canReadMessages: true,
        rights: { can_reply: true, can_read_messages: true, can_delete_outgoing_messages: true },
        date: 1795338000,
      },
    });
    expect(interpret('business_connection_disabled')).toMatchObject({
      connection: { isEnabled: false, canReply: false, canReadMessages: false, rights: {} },
    });
  });

  it("understands an older answer's can_reply, and keeps only true rights with sane names", () => {
    const old = fixture<{ business_connection: Record<string, unknown> }>('telegram/business/business_connection_disabled.json');
    old.business_connection.can_reply = true;
    old.business_connection.is_enabled = true;
    old.business_connection.rights = { can_read_messages: false, 'bad name': true };
    expect(interpretUpdate(parseUpdate(old) as Update)).toMatchObject({
      connection: { canReply: true, canReadMessages: false, rights: { can_reply: true } },
    });
  });

  it("a customer's message, file and edit are visitor messages of the business chat", () => {
    expect(interpret('business_message_text')).toMatchObject({
      kind: 'visitor_message',
      chatId: 287164003,
      messageId: 3312,
      business: { connectionId: 'AQADn9QAAHbbkqZ-uYvS3hM' },
      text: 'Hello! Do you deliver tulips to Khimki today?',
      edited: false,
      sender: { name: 'Ivan Petrov', login: 'ivan_p', language: 'ru' },
    });
    expect(interpret('business_message_photo')).toMatchObject({
      kind: 'visitor_message',
      contentType: 'photo',
      text: 'Like these, but pink',
      file: { fileId: 'AgACAgIAAxkBAAIDzGdBz1large' },
      business: { connectionId: 'AQADn9QAAHbbkqZ-uYvS3hM' },
    });
    expect(interpret('edited_business_message')).toMatchObject({
      kind: 'visitor_message',
      edited: true,
      text: '[изменено] Hello! Do you deliver tulips to Khimki tomorrow morning?',
    });
  });

  it('a customer typing /start to a business account is writing text, not starting the bot', () => {
    const u = fixture<{ business_message: { text: string } }>('telegram/business/business_message_text.json');
    u.business_message.text = '/start';
    expect(interpretUpdate(parseUpdate(u) as Update)).toMatchObject({ kind: 'visitor_message', text: '/start' });
  });

  it("the owner's own message is not the customer's; the bridge's own reply coming back is ignored", () => {
    expect(interpret('business_message_from_owner')).toEqual({
      kind: 'business_owner_message',
      chatId: 287164003,
      messageId: 3314,
      business: { connectionId: 'AQADn9QAAHbbkqZ-uYvS3hM' },
      text: 'Yes, we deliver there until 8 pm',
      edited: false,
      contentType: 'text',
    });
    expect(interpret('business_message_sent_by_bot')).toEqual({ kind: 'ignore', reason: 'sent_by_business_bot', chatId: 287164003 });
  });

  it('reads deletions as ids only', () => {
    expect(interpret('deleted_business_messages')).toEqual({
      kind: 'business_deleted',
      chatId: 287164003,
      business: { connectionId: 'AQADn9QAAHbbkqZ-uYvS3hM' },
      messageIds: [3313],
    });
  });

  it('refuses a connection id with control characters or of absurd length (400 at the edge)', () => {
    for (const id of ['', 'a\u0000b', 'x'.repeat(257)]) {
      const u = fixture<{ business_message: { business_connection_id: string } }>('telegram/business/business_message_text.json');
      u.business_message.business_connection_id = id;
      expect(parseUpdate(u), JSON.stringify(id)).toBeUndefined();
    }
  });
});

describe("Telegram's refusals of a send through a business account", () => {
  it.each([
    ['Bad Request: BUSINESS_PEER_USAGE_MISSING', 'business_reply_window_closed'],
    ['Bad Request: business connection not found', 'business_connection_gone'],
    ['Bad Request: BUSINESS_CONNECTION_INVALID', 'business_connection_gone'],
    ['Bad Request: BOT_ACCESS_FORBIDDEN', 'business_reply_not_allowed'],
    ['Bad Request: BUSINESS_PEER_INVALID', 'business_chat_excluded'],
    ['Bad Request: BUSINESS_CONNECTION_NOT_ALLOWED', 'business_mode_off'],
  ])('%s is permanent: %s', (description, reason) => {
    expect(classifyTelegramError(new TelegramApiError('sendMessage', 400, description))).toEqual({ action: 'permanent', reason });
  });

  it('a 403 with a business reason is not a blocked user', () => {
    expect(classifyTelegramError(new TelegramApiError('sendMessage', 403, 'Forbidden: BOT_ACCESS_FORBIDDEN'))).toEqual({
      action: 'permanent',
      reason: 'business_reply_not_allowed',
    });
  });
});
