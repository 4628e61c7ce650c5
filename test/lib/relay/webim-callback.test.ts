import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadlineIn } from '../../../lib/core/deadline';
import { relayDeps } from '../../../lib/relay/deps';
import { relayWebimCallback } from '../../../lib/relay/webim-callback';
import { webimCallbackSchema } from '../../../lib/webim/wire';
import { startTestBridge, type TestBridge, textUpdate, visitorOf } from '../../support/bridge';
import { databaseEngines } from '../../support/databases';

const [engine] = databaseEngines();

/** The use-case itself, without the HTTP route: each kind of callback gets its deliberate outcome. */
describe('relayWebimCallback', () => {
  let bridge: TestBridge;
  let visitorId: string;
  const chatId = 5_100_001;
  const relay = async (body: unknown) => {
    const deps = relayDeps(await bridge.runtime.relayContext(), {
      log: bridge.runtime.log,
      deadline: deadlineIn(10_000),
      direction: 'webim_to_telegram',
    });
    return relayWebimCallback(deps, webimCallbackSchema.parse(body));
  };
  beforeAll(async () => {
    bridge = await startTestBridge(engine!, { CHAT_CLOSED_TEXT: 'Chat closed.' });
    await bridge.postUpdate(textUpdate(5_100_002, chatId, '/start'));
    visitorId = await visitorOf(bridge.db, chatId);
  });
  afterAll(() => bridge.close());

  it('an operator text is relayed, a repeat is a duplicate', async () => {
    const body = { visitor_id: visitorId, message: { id: 'u-1', kind: 'operator', text: 'hello' } };
    expect(await relay(body)).toEqual({ status: 'done', result: 'relayed' });
    expect(await relay(body)).toEqual({ status: 'done', result: 'duplicate' });
    expect(bridge.telegram.deliveredTo(chatId)).toEqual(['hello']);
  });

  it('kinds not for the user are ignored: for_operator, info (by default), a keyboard without buttons, unknown kinds', async () => {
    for (const kind of ['for_operator', 'info', 'keyboard', 'survey']) {
      expect(await relay({ visitor_id: visitorId, message: { id: `k-${kind}`, kind, text: 'x' } })).toEqual({
        status: 'done',
        result: 'ignored',
      });
    }
  });

  it('an unknown visitor is acknowledged as such', async () => {
    expect(await relay({ visitor_id: 'nobody', message: { id: 'n-1', kind: 'operator', text: 'x' } })).toEqual({
      status: 'done',
      result: 'unknown_visitor',
    });
  });

  it('chat_closed sends CHAT_CLOSED_TEXT once per Webim chat', async () => {
    const closed = { event: 'chat_closed', visitor_id: visitorId, chat_id: 4242 };
    expect(await relay(closed)).toEqual({ status: 'done', result: 'relayed' });
    expect(await relay(closed)).toEqual({ status: 'done', result: 'duplicate' });
  });

  it('a reply while an earlier one holds the chat waits (chat_busy), never overtakes', async () => {
    bridge.telegram.script(
      'sendMessage',
      { status: 502, body: { ok: false, error_code: 502, description: 'Bad Gateway' } },
      ...Array.from({ length: 3 }, () => ({ status: 502, body: { ok: false, error_code: 502, description: 'Bad Gateway' } })),
    );
    const first = await relay({ visitor_id: visitorId, message: { id: 'o-1', kind: 'operator', text: 'first' } });
    expect(first).toMatchObject({ status: 'retry', upstream: 'telegram' });
    expect(await relay({ visitor_id: visitorId, message: { id: 'o-2', kind: 'operator', text: 'second' } })).toMatchObject({
      status: 'retry',
      reason: 'chat_busy',
    });
  });
});
