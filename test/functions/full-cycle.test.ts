import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorCallback, SECRETS, startTestBridge, type TestBridge } from '../support/bridge';
import { databaseEngines } from '../support/databases';
import { fixture } from '../support/events';

/** Every value of every text-like column of every user table, for privacy scans. */
async function allTextInDatabase(bridge: TestBridge): Promise<string> {
  const columns = await bridge.db.sql<{ table_name: string; column_name: string }[]>`
    SELECT c.table_name, c.column_name FROM information_schema.columns c
    JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
    WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
      AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')`;
  expect(columns.length).toBeGreaterThan(5);
  const values: string[] = [];
  for (const { table_name, column_name } of columns) {
    const rows = await bridge.db.sql.unsafe(`SELECT "${column_name}"::text AS v FROM "${table_name}"`);
    for (const r of rows) if (r.v !== null) values.push(String(r.v));
  }
  return values.join('\n');
}

describe.each(databaseEngines())('full cycle on $name', (engine) => {
  let bridge: TestBridge;
  const userText = 'My parcel 5512 is lost, please help';
  const operatorText = 'Found it: courier delivers tomorrow before noon';

  beforeAll(async () => {
    bridge = await startTestBridge(engine, { WELCOME_TEXT: 'Hello from support' });
  });
  afterAll(() => bridge.close());

  it('user → Telegram → bridge → Webim → operator → callback → bridge → Telegram → user, leaving no text behind', async () => {
    // 1. The user opens the bot.
    expect((await bridge.postUpdate(fixture('telegram/start_command.json'))).statusCode).toBe(200);
    expect(bridge.telegram.sentTo(287164003)).toEqual(['Hello from support']);

    // 2. The user writes; the operator desk receives it as the visitor.
    const update = fixture<{ message: { text: string } }>('telegram/text_message.json');
    update.message.text = userText;
    const before = bridge.queries();
    expect((await bridge.postUpdate(update)).statusCode).toBe(200);
    expect(bridge.queries() - before).toBe(2); // claim + map, complete
    const [posted] = bridge.webim.received;
    expect(posted?.message.text).toBe(userText);
    const visitorId = posted?.visitor.id as string;

    // 3. The operator answers; Webim calls back; the user gets the reply.
    const beforeCallback = bridge.queries();
    const res = await bridge.postCallback(operatorCallback(visitorId, 'op-msg-1', operatorText));
    expect(res.statusCode).toBe(200);
    expect(bridge.queries() - beforeCallback).toBe(2); // claim + find chat, complete
    expect(bridge.telegram.sentTo(287164003)).toEqual(['Hello from support', operatorText]);

    // 4. Privacy: no message text in any table, no text or secret in any log line.
    const stored = await allTextInDatabase(bridge);
    expect(stored).toContain(visitorId); // the scan does see the data
    for (const secretText of [userText, operatorText, 'Hello from support', 'parcel', 'courier']) expect(stored).not.toContain(secretText);
    const logs = bridge.logs.join('\n');
    expect(bridge.logs.length).toBeGreaterThan(5);
    for (const secretText of [userText, operatorText, 'parcel', 'courier', ...Object.values(SECRETS)])
      expect(logs).not.toContain(secretText);
    // …while the logs do carry the ids needed to trace the message.
    expect(bridge.parsedLogs()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          event: 'relayed_to_webim',
          update_id: 815203347,
          chat_id: 287164003,
          visitor_id: visitorId,
          webim_message_id: 'tg-287164003-412',
        }),
        expect.objectContaining({
          event: 'relayed_to_telegram',
          visitor_id: visitorId,
          webim_message_id: 'op-msg-1',
          chat_id: 287164003,
          parts: 1,
        }),
        expect.objectContaining({ event: 'request_done', route: 'webim-callback', status: 200, outcome: 'relayed' }),
      ]),
    );
  });
});
