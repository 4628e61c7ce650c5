import type { Update } from '@grammyjs/types';
import { describe, expect, it } from 'vitest';
import { wordsOf } from '../../../lib/i18n/catalogue';
import { interpretUpdate, parseUpdate } from '../../../lib/telegram/update';
import { fixture } from '../../support/events';

/** These cases read the desk's words in English (the catalogue test covers the languages). */
const inEnglish = { desk: wordsOf('en').desk };

const interpret = (name: string) => interpretUpdate(parseUpdate(fixture(name)) as Update, inEnglish);

describe('Telegram updates', () => {
  it('rejects what is not an update and tolerates unknown fields', () => {
    expect(parseUpdate({})).toBeUndefined();
    expect(parseUpdate({ update_id: -1 })).toBeUndefined();
    expect(parseUpdate({ update_id: 1, message: { text: 'no chat' } })).toBeUndefined();
    expect(parseUpdate({ update_id: 1, brand_new_update_kind: { x: 1 } })).toMatchObject({ update_id: 1 });
  });

  it('reads a message_reaction: what was added and what taken back; ignores groups, the admin chat and no change', () => {
    expect(interpret('telegram/message_reaction_added.json')).toEqual({
      kind: 'reaction',
      chatId: 287164003,
      messageId: 433,
      added: [{ type: 'emoji', emoji: '👍' }],
      removed: [],
    });
    expect(interpret('telegram/message_reaction_changed.json')).toMatchObject({
      added: [{ type: 'custom_emoji', custom_emoji_id: '5368324170671202286' }],
      removed: [{ type: 'emoji', emoji: '👍' }],
    });
    expect(interpret('telegram/message_reaction_removed.json')).toMatchObject({ added: [], removed: [{ type: 'custom_emoji' }] });
    const group = fixture<{ message_reaction: { chat: Record<string, unknown> } }>('telegram/message_reaction_added.json');
    group.message_reaction.chat = { id: -1002184233434, title: 'Test', type: 'supergroup' };
    expect(interpretUpdate(group as unknown as Update)).toMatchObject({ kind: 'ignore', reason: 'reaction_not_private' });
    const admin = parseUpdate(fixture('telegram/message_reaction_added.json')) as Update;
    expect(interpretUpdate(admin, { adminChatId: 287164003 })).toMatchObject({ kind: 'ignore' });
    const same = fixture<{ message_reaction: { old_reaction: unknown[]; new_reaction: unknown[] } }>(
      'telegram/message_reaction_added.json',
    );
    same.message_reaction.old_reaction = same.message_reaction.new_reaction;
    expect(interpretUpdate(same as unknown as Update)).toMatchObject({ kind: 'ignore', reason: 'reaction_unchanged' });
    expect(parseUpdate({ update_id: 1, message_reaction: { chat: { id: 1, type: 'private' }, message_id: 1 } })).toBeUndefined();
  });

  it('reads /start, with or without payload or bot name', () => {
    expect(interpret('telegram/start_command.json')).toMatchObject({
      kind: 'start',
      chatId: 287164003,
      sender: { name: 'Ivan Petrov', login: 'ivan_p' },
    });
    for (const text of ['/start ref_42', '/start@shop_support_bot']) {
      const u = fixture<{ message: { text: string } }>('telegram/start_command.json');
      u.message.text = text;
      expect(interpretUpdate(u as unknown as Update, inEnglish).kind).toBe('start');
    }
    const u = fixture<{ message: { text: string } }>('telegram/start_command.json');
    u.message.text = '/started';
    expect(interpretUpdate(u as unknown as Update, inEnglish).kind).toBe('visitor_message');
  });

  it.each([
    ['telegram/text_message.json', 'text', 'Hello, my order #5512 has not arrived'],
    ['telegram/photo_with_caption.json', 'photo', 'Box arrived damaged'],
    ['telegram/sticker.json', 'sticker', '😀'],
    ['telegram/location.json', 'location', '[location 55.75124,37.61842]'],
  ])('turns %s into a %s visitor message', (name, contentType, text) => {
    expect(interpret(name)).toMatchObject({ kind: 'visitor_message', contentType, text, edited: false });
  });

  it.each([
    [{ contact: { phone_number: '+79990001122', first_name: 'Anna' } }, '[contact Anna +79990001122]'],
    [
      { venue: { location: { latitude: 1.5, longitude: 2.25 }, title: 'Shop', address: 'Main st 1' } },
      '[venue Shop, Main st 1 (1.5,2.25)]',
    ],
    [
      {
        poll: {
          id: 'p',
          question: 'Which day?',
          options: [],
          total_voter_count: 0,
          is_closed: false,
          is_anonymous: true,
          type: 'regular',
          allows_multiple_answers: false,
        },
      },
      '[poll Which day?]',
    ],
    [{ dice: { emoji: '🎲', value: 4 } }, '[dice 🎲 4]'],
  ])('marks %j as %s', (content, text) => {
    const base = fixture<{ update_id: number; message: Record<string, unknown> }>('telegram/sticker.json');
    delete base.message.sticker;
    Object.assign(base.message, content);
    expect(interpretUpdate(base as unknown as Update, inEnglish)).toMatchObject({ kind: 'visitor_message', text });
  });

  it.each([
    [
      { voice: { file_id: 'v', file_unique_id: 'v', duration: 7 } },
      { kind: 'voice', fileId: 'v', name: 'voice-414.ogg', mediaType: 'audio/ogg' },
      '',
    ],
    [
      { document: { file_id: 'd', file_unique_id: 'd', file_name: 'scan.pdf', mime_type: 'application/pdf' }, caption: 'my passport' },
      { kind: 'document', name: 'scan.pdf', mediaType: 'application/pdf' },
      'my passport',
    ],
    [
      { video_note: { file_id: 'n', file_unique_id: 'n', length: 240, duration: 5 } },
      { kind: 'video_note', name: 'video-note-414.mp4', mediaType: 'video/mp4' },
      '',
    ],
    [{ voice: { file_id: 'v2', file_unique_id: 'v2' } }, { kind: 'voice', name: 'voice-414.ogg' }, ''],
  ])('carries the file of %j', (content, file, text) => {
    const base = fixture<{ update_id: number; message: Record<string, unknown> }>('telegram/sticker.json');
    delete base.message.sticker;
    Object.assign(base.message, content);
    expect(interpretUpdate(base as unknown as Update, inEnglish)).toMatchObject({ kind: 'visitor_message', file, text });
  });

  it('marks edits', () => {
    expect(interpret('telegram/edited_message.json')).toMatchObject({
      kind: 'visitor_message',
      edited: true,
      text: '[edited] Hello, my order #5512 has still not arrived',
    });
  });

  it('ignores groups, unknown update types and service messages', () => {
    expect(interpret('telegram/group_message.json')).toMatchObject({ kind: 'ignore', reason: 'not_private_chat' });
    expect(interpret('telegram/callback_query.json')).toMatchObject({ kind: 'ignore', reason: 'button_press_without_message_or_data' });
    expect(interpret('telegram/poll_answer.json')).toMatchObject({ kind: 'ignore', reason: 'unsupported_update_poll_answer' });
    const service = fixture<{ message: Record<string, unknown> }>('telegram/sticker.json');
    delete service.message.sticker;
    service.message.pinned_message = { message_id: 1 };
    expect(interpretUpdate(service as unknown as Update, inEnglish)).toMatchObject({ kind: 'ignore', reason: 'no_relayable_content' });
  });

  it('reads block and unblock from my_chat_member', () => {
    expect(interpret('telegram/my_chat_member_kicked.json')).toEqual({ kind: 'membership', chatId: 287164003, blocked: true });
  });
});
