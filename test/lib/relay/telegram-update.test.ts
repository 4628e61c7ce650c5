import type { Update } from '@grammyjs/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadlineIn } from '../../../lib/core/deadline';
import { relayDeps } from '../../../lib/relay/deps';
import { relayTelegramUpdate } from '../../../lib/relay/telegram-update';
import { startTestBridge, type TestBridge, textUpdate } from '../../support/bridge';
import { databaseEngines } from '../../support/databases';
import { fixture } from '../../support/events';

const [engine] = databaseEngines();

/** The use-case itself, without the HTTP route: every update gets a deliberate outcome. */
describe('relayTelegramUpdate', () => {
  let bridge: TestBridge;
  const relay = async (update: unknown, statusReport?: () => Promise<string>) => {
    const deps = relayDeps(await bridge.runtime.relayContext(), {
      log: bridge.runtime.log,
      deadline: deadlineIn(10_000),
      direction: 'telegram_to_webim',
      statusReport,
    });
    return relayTelegramUpdate(deps, update as Update);
  };
  beforeAll(async () => {
    bridge = await startTestBridge(engine!, { WELCOME_TEXT: 'Welcome!', ADMIN_CHAT_ID: '-1009' });
  });
  afterAll(() => bridge.close());

  it('/start is answered with the welcome text; a text is relayed once', async () => {
    expect(await relay(textUpdate(5_200_001, 5_200_100, '/start'))).toEqual({ status: 'done', result: 'answered' });
    expect(await relay(textUpdate(5_200_002, 5_200_100, 'hi'))).toEqual({ status: 'done', result: 'relayed' });
    expect(await relay(textUpdate(5_200_002, 5_200_100, 'hi'))).toEqual({ status: 'done', result: 'duplicate' });
  });

  it('a group message is ignored; a block is recorded', async () => {
    expect(await relay(fixture('telegram/group_message.json'))).toEqual({ status: 'done', result: 'ignored' });
    expect(await relay(fixture('telegram/my_chat_member_kicked.json'))).toEqual({ status: 'done', result: 'recorded' });
  });

  it('/status in the admin chat is answered with what the wiring function gives', async () => {
    const status = textUpdate(5_200_003, -1009, '/status');
    (status.message as { chat: { type: string } }).chat.type = 'supergroup';
    expect(await relay(status, async () => '✅ Bridge healthy')).toEqual({ status: 'done', result: 'answered' });
    expect(bridge.telegram.deliveredTo(-1009)).toEqual(['✅ Bridge healthy']);
  });
});
