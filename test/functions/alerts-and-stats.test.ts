import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_AWS_ENV } from '../../fakes/sigv4';
import { type FakeSqs, startFakeSqs } from '../../fakes/sqs';
import { telegramError } from '../../fakes/telegram';
import { statsReport } from '../../lib/admin/stats';
import { flushStats } from '../../lib/db/delivery-stats';
import { operatorCallback, SECRETS, startTestBridge, type TestBridge, textUpdate, visitorOf } from '../support/bridge';
import { databaseEngines } from '../support/databases';

const ADMIN = -1001234567890;

describe.each(databaseEngines())('admin alerts, statistics and /status on $name', (engine) => {
  let bridge: TestBridge;
  let next = 8_800_000;
  const alerts = () => bridge.telegram.deliveredTo(ADMIN);
  const newUser = async () => {
    const chatId = ++next;
    expect((await bridge.postUpdate(textUpdate(++next, chatId, '/start'))).statusCode).toBe(200);
    return { chatId, visitorId: await visitorOf(bridge.db, chatId) };
  };
  const adminUpdate = (text: string) => ({
    update_id: ++next,
    message: {
      message_id: next,
      date: 1795338901,
      text,
      chat: { id: ADMIN, type: 'supergroup', title: 'Support team' },
      from: { id: 77, is_bot: false, first_name: 'Admin' },
    },
  });

  beforeAll(async () => {
    bridge = await startTestBridge(engine, {
      ADMIN_CHAT_ID: String(ADMIN),
      ALERT_AFTER_SECONDS: '10',
      ALERT_INTERVAL_SECONDS: '60',
      WEBIM_TIMEOUT_MS: '1000',
    });
  });
  afterAll(() => bridge.close());

  describe('alerts', () => {
    it('a message that could not be delivered: one alert with ids and reason, never the text', async () => {
      const { chatId } = await newUser();
      const before = alerts().length;
      bridge.webim.script({ status: 400, body: { error: 'invalid_message', desc: 'rejected' } });
      expect((await bridge.postUpdate(textUpdate(++next, chatId, 'private words about my order'))).statusCode).toBe(200);
      const sent = alerts().slice(before);
      expect(sent).toHaveLength(1);
      expect(sent[0]).toContain('Not delivered (Telegram → Webim)');
      expect(sent[0]).toContain(`chat ${chatId}`);
      expect(sent[0]).toContain('webim_400_invalid_message');
      expect(sent[0]).not.toContain('private words');
    });

    it('is rate-limited per reason, and the next alert says how many were held back', async () => {
      const { chatId } = await newUser();
      const before = alerts().length;
      bridge.webim.script({ status: 400, body: { error: 'invalid_message' } }, { status: 400, body: { error: 'invalid_message' } });
      await bridge.postUpdate(textUpdate(++next, chatId, 'a'));
      await bridge.postUpdate(textUpdate(++next, chatId, 'b'));
      expect(alerts().length).toBe(before); // both within ALERT_INTERVAL_SECONDS of the previous one
      await bridge.db
        .sql`UPDATE alert_state SET last_sent_at = now() - interval '61 seconds' WHERE reason = 'undelivered:webim_400_invalid_message'`;
      bridge.webim.script({ status: 400, body: { error: 'invalid_message' } });
      await bridge.postUpdate(textUpdate(++next, chatId, 'c'));
      expect(alerts().slice(before)).toEqual([expect.stringContaining('(2 similar alerts held back)')]);
    });

    it('a configuration error: one alert naming the reason', async () => {
      const { chatId } = await newUser();
      const before = alerts().length;
      bridge.webim.script({ status: 401, body: { error: 'unauthorized' } }, { status: 401, body: { error: 'unauthorized' } });
      const update = textUpdate(++next, chatId, 'held until fixed');
      expect((await bridge.postUpdate(update)).statusCode).toBe(503);
      expect((await bridge.postUpdate(update)).statusCode).toBe(503);
      expect(alerts().slice(before)).toEqual([expect.stringContaining('Configuration error (webim): webim_token_rejected_401')]);
      expect((await bridge.postUpdate(update)).statusCode).toBe(200);
    });

    it('an upstream failing for longer than ALERT_AFTER_SECONDS: one alert, not before', async () => {
      const { chatId } = await newUser();
      const before = alerts().length;
      const update = textUpdate(++next, chatId, 'webim is down');
      bridge.webim.script({ status: 503 }, { status: 503 });
      expect((await bridge.postUpdate(update)).statusCode).toBe(503);
      expect(alerts().length).toBe(before); // failing for 0 s
      await bridge.db.sql`UPDATE alert_state SET failing_since = now() - interval '12 seconds' WHERE reason = 'failing:webim'`;
      expect((await bridge.postUpdate(update)).statusCode).toBe(503);
      expect(alerts().slice(before)).toEqual([expect.stringMatching(/Webim failing for \d+ s \(webim_503\)/)]);
      expect((await bridge.postUpdate(update)).statusCode).toBe(200);
    });

    it("an alert that cannot be sent changes nothing in the relay's answer", async () => {
      const { chatId } = await newUser();
      await bridge.db.sql`DELETE FROM alert_state`;
      bridge.webim.script({ status: 422, body: { error: 'too_long' } });
      bridge.telegram.script('sendMessage', telegramError(500, 'Internal Server Error'));
      expect((await bridge.postUpdate(textUpdate(++next, chatId, 'x'))).statusCode).toBe(200);
      expect(bridge.parsedLogs().some((l) => l.event === 'alert_failed')).toBe(true);
    });

    it("the admin chat's own messages are never relayed", async () => {
      const before = bridge.webim.received.length;
      expect((await bridge.postUpdate(adminUpdate('team chatter, not for Webim'))).statusCode).toBe(200);
      expect(bridge.webim.received.length).toBe(before);
    });
  });

  describe('/status', () => {
    it("in the admin chat: the doctor's summary and the last 24 hours", async () => {
      const before = alerts().length;
      expect((await bridge.postUpdate(adminUpdate('/status'))).statusCode).toBe(200);
      const [answer] = alerts().slice(before);
      expect(answer).toMatch(/^(✅ Bridge healthy \(\d+ checks\)|❌ \d+ problems?)\n/);
      expect(answer).toContain('last 24 hours:');
      expect(answer).toContain('Telegram → Webim');
      for (const secret of Object.values(SECRETS)) expect(answer).not.toContain(secret);
    });

    it('from anyone else: an ordinary message, relayed to the operator', async () => {
      const { chatId } = await newUser();
      const before = bridge.webim.received.length;
      expect((await bridge.postUpdate(textUpdate(++next, chatId, '/status'))).statusCode).toBe(200);
      expect(bridge.webim.received.slice(before).map((m) => m.message.text)).toEqual(['/status']);
      expect(bridge.telegram.deliveredTo(chatId)).toEqual([]);
    });
  });

  describe('statistics', () => {
    it('counts a scripted mix of outcomes exactly, with no content in the table', async () => {
      await flushStats(bridge.db);
      await bridge.db.sql`DELETE FROM delivery_stats`;
      const { chatId, visitorId } = await newUser(); // /start: relayed? no: recorded → ignored
      const update = textUpdate(++next, chatId, 'secret stats text');
      await bridge.postUpdate(update); // relayed
      await bridge.postUpdate(update); // duplicate
      bridge.webim.script({ status: 503 });
      await bridge.postUpdate(textUpdate(++next, chatId, 'x')); // deferred
      bridge.webim.script({ status: 401 });
      await bridge.postUpdate(textUpdate(++next, chatId, 'y')); // configuration_error
      bridge.webim.script({ status: 400 });
      await bridge.postUpdate(textUpdate(++next, chatId, 'z')); // failed
      await bridge.postUpdate({ update_id: ++next, message: { message_id: 1, date: 1, chat: { id: -5, type: 'group' }, text: 'g' } }); // ignored
      await bridge.postCallback(operatorCallback(visitorId, `s-${next}`, 'reply')); // relayed
      await bridge.postCallback(operatorCallback('unknown-visitor-1', `s-${next}`, 'reply')); // failed (unknown visitor)
      await flushStats(bridge.db);
      const report = await statsReport(bridge.db);
      const day = report.windows[0]!.counts;
      expect(day.telegram_to_webim).toMatchObject({ relayed: 1, duplicate: 1, deferred: 1, configuration_error: 1, failed: 1, ignored: 2 });
      expect(day.webim_to_telegram).toMatchObject({ relayed: 1, failed: 1 });
      const table = JSON.stringify(await bridge.db.sql`SELECT * FROM delivery_stats`);
      expect(table).not.toContain('secret stats text');
      expect(report.lines.join('\n')).toMatch(/per hour, last 24 h \(max \d+\): [▁▂▃▄▅▆▇█]{24}/);
    });

    it('stays exact under 50 concurrent updates of the same hour', async () => {
      await flushStats(bridge.db);
      await bridge.db.sql`DELETE FROM delivery_stats`;
      const users = await Promise.all(Array.from({ length: 5 }, () => newUser()));
      await flushStats(bridge.db);
      await bridge.db.sql`DELETE FROM delivery_stats`;
      await Promise.all(
        Array.from({ length: 50 }, (_, i) => bridge.postCallback(operatorCallback(users[i % 5]!.visitorId, `par-${i}`, 'p'))),
      );
      // retried like Webim: the ones held back for order (503) go through afterwards
      for (let round = 0; round < 20; round++) {
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) => bridge.postCallback(operatorCallback(users[i % 5]!.visitorId, `par-${i}`, 'p'))),
        );
        if (results.every((r) => r.statusCode === 200)) break;
      }
      await flushStats(bridge.db);
      const day = (await statsReport(bridge.db)).windows[0]!.counts.webim_to_telegram;
      expect(day.relayed).toBe(50);
      const [{ n }] = (await bridge.db.sql`SELECT sum(count)::int AS n FROM delivery_stats WHERE outcome = 'relayed'`) as unknown as [
        { n: number },
      ];
      expect(n).toBe(50);
    });
  });
});

describe('alert: database unreachable for longer than ALERT_AFTER_SECONDS', () => {
  it('is reported once from memory (the database cannot record its own outage)', { timeout: 60_000 }, async () => {
    const [engine] = databaseEngines();
    const bridge = await startTestBridge(
      engine!,
      { ADMIN_CHAT_ID: String(ADMIN), ALERT_AFTER_SECONDS: '10', ALERT_INTERVAL_SECONDS: '600', DATABASE_STATEMENT_TIMEOUT_MS: '1500' },
      { proxy: true },
    );
    try {
      expect((await bridge.postUpdate(textUpdate(1, 4242, '/start'))).statusCode).toBe(200);
      bridge.proxy!.blackhole();
      const started = Date.now();
      const statuses: number[] = [];
      for (let i = 2; Date.now() - started < 12_500; i++) {
        const end = Date.now() + 5_000;
        statuses.push(
          (
            await bridge.postUpdate(textUpdate(i, 4242, 'db down'), {
              context: { getRemainingTimeInMillis: () => end - Date.now() } as never,
            })
          ).statusCode ?? 0,
        );
      }
      bridge.proxy!.restore();
      expect(new Set(statuses)).toEqual(new Set([503]));
      const sent = bridge.telegram.deliveredTo(ADMIN);
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatch(/Database unreachable for \d+ s \(database_database_timeout\)/);
    } finally {
      await bridge.close();
    }
  });
});

describe('alert: settings missing or invalid', () => {
  it('names the settings (never values), once per interval, and the answer stays 503', async () => {
    const [engine] = databaseEngines();
    const bridge = await startTestBridge(engine!, { ADMIN_CHAT_ID: String(ADMIN), WEBIM_API_URL: '', WEBIM_CALLBACK_SECRET: 'short' });
    try {
      for (let i = 1; i <= 3; i++) expect((await bridge.postUpdate(textUpdate(i, 4343, 'x'))).statusCode).toBe(503);
      expect(bridge.telegram.deliveredTo(ADMIN)).toEqual([
        '🛠 Configuration error: missing WEBIM_API_URL, invalid WEBIM_CALLBACK_SECRET. Every message is held (503) until it is fixed; run the doctor.',
      ]);
    } finally {
      await bridge.close();
    }
  });
});

describe('the admin chat in the desk language (DESK_LANGUAGE=ru, the default)', () => {
  it('alerts, the settings alert and the /status headline are in Russian, ids and reason codes as they are', async () => {
    const [engine] = databaseEngines();
    const bridge = await startTestBridge(engine!, { ADMIN_CHAT_ID: String(ADMIN), DESK_LANGUAGE: 'ru', ALERT_INTERVAL_SECONDS: '60' });
    try {
      const chatId = 4_400_001;
      expect((await bridge.postUpdate(textUpdate(4_400_101, chatId, '/start'))).statusCode).toBe(200);
      bridge.webim.script({ status: 400, body: { error: 'invalid_message' } });
      expect((await bridge.postUpdate(textUpdate(4_400_102, chatId, 'личный вопрос'))).statusCode).toBe(200);
      const [undelivered] = bridge.telegram.deliveredTo(ADMIN);
      expect(undelivered).toBe(`⚠️ Не доставлено (Telegram → Webim): чат ${chatId}, сообщение 4400102; причина webim_400_invalid_message.`);

      const status = {
        update_id: 4_400_103,
        message: { message_id: 9, date: 1795338901, text: '/status', chat: { id: ADMIN, type: 'supergroup', title: 'Поддержка' } },
      };
      expect((await bridge.postUpdate(status)).statusCode).toBe(200);
      expect(bridge.telegram.deliveredTo(ADMIN)[1]).toMatch(/^(✅ Мост работает \(\d+ провер(ка|ки|ок)\)|❌ \d+ проблем[аы]?)\n/);
    } finally {
      await bridge.close();
    }
    const broken = await startTestBridge(engine!, { ADMIN_CHAT_ID: String(ADMIN), DESK_LANGUAGE: 'ru', WEBIM_API_URL: '' });
    try {
      expect((await broken.postUpdate(textUpdate(1, 4343, 'x'))).statusCode).toBe(503);
      expect(broken.telegram.deliveredTo(ADMIN)).toEqual([
        '🛠 Ошибка настройки: не задан WEBIM_API_URL. Все сообщения задерживаются (503), пока это не исправлено; запустите doctor.',
      ]);
    } finally {
      await broken.close();
    }
  });
});

describe('a configuration alert in the desk language', () => {
  const [engine] = databaseEngines();
  const ADMIN = -1009876543210;
  const QUEUE = 'https://sqs.eu-central-1.amazonaws.com/123456789012/telegram-webim-bridge-ci-replies.fifo';
  let sqs: FakeSqs;
  let bridge: TestBridge;

  beforeAll(async () => {
    sqs = await startFakeSqs();
    bridge = await startTestBridge(engine!, {
      ...FAKE_AWS_ENV,
      AWS_ENDPOINT_URL_SQS: sqs.url,
      REPLY_QUEUE_URL: QUEUE,
      STAGE: 'ci',
      ADMIN_CHAT_ID: String(ADMIN),
      DESK_LANGUAGE: 'ru',
    });
  });
  afterAll(async () => {
    await bridge.close();
    await sqs.close();
  });

  it('the reply queue refusing the bridge (DESK_LANGUAGE=ru): the alert has no English words besides codes', async () => {
    const chatId = 5_500_001;
    expect((await bridge.postUpdate(textUpdate(5_500_002, chatId, '/start'))).statusCode).toBe(200);
    const visitorId = await visitorOf(bridge.db, chatId);
    bridge.telegram.script('sendMessage', ...Array.from({ length: 4 }, () => telegramError(502, 'Bad Gateway')));
    sqs.script.push({ status: 400, body: { __type: 'com.amazonaws.sqs#AccessDenied' } });
    const denied = await bridge.postCallback(operatorCallback(visitorId, 'denied-ru-1', 'held by Webim'));
    expect(denied.statusCode).toBe(503);
    const [alert] = bridge.telegram.deliveredTo(ADMIN);
    expect(alert).toMatch(/^🛠 Ошибка настройки: очередь ответов не принимает сообщения моста \(AccessDenied/);
    // Latin letters only in the codes (in brackets) and the command's name.
    expect(alert?.replace(/\([^)]*\)|doctor/g, '')).not.toMatch(/[A-Za-z]{3,}/);
  });
});
