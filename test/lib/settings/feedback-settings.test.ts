import { describe, expect, it } from 'vitest';
import { parseSettings, SettingsError } from '../../../lib/settings/schema';

const required = {
  TELEGRAM_BOT_TOKEN: '7012345678:AAHk3-test_token_Zx9QpLmN0vBcD2eFgH',
  TELEGRAM_WEBHOOK_SECRET: 'secret',
  WEBIM_API_URL: 'https://acme.webim.ru/api/custom-channel',
  WEBIM_ACCESS_TOKEN: 'token',
  WEBIM_CALLBACK_SECRET: 'callback-secret',
};

describe('RATING_PROMPT and DELIVERY_REACTION', () => {
  it('the rating prompt is on and the delivery reaction off unless a team changes them', () => {
    const settings = parseSettings(required);
    expect(settings.RATING_PROMPT).toBe(true);
    expect(settings.DELIVERY_REACTION).toBe('');
    expect(parseSettings({ ...required, RATING_PROMPT: 'off' }).RATING_PROMPT).toBe(false);
  });

  it.each([
    ['on', '👀'],
    ['true', '👀'],
    ['👍', '👍'],
    [' 🔥 ', '🔥'],
    ['❤‍🔥', '❤‍🔥'],
    ['off', ''],
    ['', ''],
  ])('DELIVERY_REACTION=%j reacts with %j', (value, emoji) => {
    expect(parseSettings({ ...required, DELIVERY_REACTION: value }).DELIVERY_REACTION).toBe(emoji);
  });

  it.each(['🙂', 'eyes', '👍👍'])('refuses %j: Telegram would refuse it as a bot reaction', (value) => {
    expect(() => parseSettings({ ...required, DELIVERY_REACTION: value })).toThrow(SettingsError);
    try {
      parseSettings({ ...required, DELIVERY_REACTION: value });
    } catch (error) {
      expect((error as SettingsError).invalid.map((i) => i.key)).toEqual(['DELIVERY_REACTION']);
      expect((error as Error).message).not.toContain(required.WEBIM_ACCESS_TOKEN);
    }
  });
});
