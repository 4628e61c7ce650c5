import type { Context } from 'aws-lambda';
import { FAKE_AWS_ENV, type FakeSsm } from '../../fakes/ssm';
import { startTcpProxy, type TcpProxy, throughProxy } from '../../fakes/tcp-proxy';
import { type FakeTelegram, startFakeTelegram } from '../../fakes/telegram';
import { type FakeWebim, startFakeWebim } from '../../fakes/webim';
import { createReplyQueueHandler } from '../../functions/reply-queue';
import { createTelegramWebhookHandler } from '../../functions/telegram-webhook';
import { createWebimCallbackHandler } from '../../functions/webim-callback';
import { Runtime } from '../../lib/app/runtime';
import type { Database } from '../../lib/db/database';
import { type Migration, migrate, readMigrations } from '../../lib/db/migrate';
import type { HttpResult } from '../../lib/http/api-gateway';
import { MemoryReplyQueue } from '../../lib/queue/memory';
import { REDRIVE_MAX_RECEIVES } from '../../lib/queue/reply-queue';
import { ssmReaderFromEnv } from '../../lib/settings/ssm';
import type { DatabaseEngine, TestDatabase } from './databases';
import { httpApiEvent } from './events';

export const SECRETS = {
  botToken: '7012345678:AAHk3-test_token_Zx9QpLmN0vBcD2eFgH',
  webhookSecret: 'tg-webhook-secret_0123456789',
  webimAccessToken: 'webim-access-token-4f9a2c',
  callbackSecret: 'webim-callback-secret-b71e',
};

/** The Telegram and Webim settings that point the bridge at the fakes, with the test secrets. */
export function upstreamEnv(telegramUrl: string, webimUrl: string): Record<string, string> {
  return {
    TELEGRAM_BOT_TOKEN: SECRETS.botToken,
    TELEGRAM_WEBHOOK_SECRET: SECRETS.webhookSecret,
    TELEGRAM_API_BASE: telegramUrl,
    WEBIM_API_URL: webimUrl,
    WEBIM_ACCESS_TOKEN: SECRETS.webimAccessToken,
    WEBIM_CALLBACK_SECRET: SECRETS.callbackSecret,
  };
}

export interface TestBridge {
  telegram: FakeTelegram;
  webim: FakeWebim;
  /** Between the bridge and its database when asked for: breaks the connection on demand. */
  proxy?: TcpProxy;
  /** The in-process reply queue, with its consumer running (when asked for). */
  queue?: MemoryReplyQueue;
  /** The bridge's own database handle (assertions share its pool: the embedded database takes one connection). */
  db: Database;
  logs: string[];
  runtime: Runtime;
  /** Database round trips made so far (bridge and assertions share the pool). */
  queries(): number;
  /** POST /telegram-webhook with an Update (the right secret unless overridden). */
  postUpdate(
    update: unknown,
    options?: { secret?: string | null; rawBody?: string; base64?: boolean; context?: Context },
  ): Promise<HttpResult>;
  /** POST /webim-callback with a callback body (header auth unless overridden). */
  postCallback(
    body: unknown,
    options?: { authorization?: string | null; pathSecret?: string; rawBody?: string; context?: Context },
  ): Promise<HttpResult>;
  parsedLogs(): Record<string, unknown>[];
  close(): Promise<void>;
}

/**
 * The bridge wired like production — real handlers, Runtime, settings loader, `postgres` driver
 * on a fresh database — with Telegram and Webim replaced by loopback fakes.
 */
export async function startTestBridge(
  engine: DatabaseEngine,
  extraEnv: Record<string, string> = {},
  options: {
    proxy?: boolean;
    /** Keep the Telegram and Webim settings in this SSM (under /bridge/test) instead of the environment, as a deploy does. */
    ssm?: FakeSsm;
    /** The migrations applied before the bridge serves (all of `migrations/` by default; [] for none). */
    migrations?: Migration[];
    /** Connect the bridge with this URL (another role, say) instead of the fresh database's own. */
    databaseUrl?: (url: string) => string;
    /** Keep DATABASE_URL in the SSM of `ssm` instead of the environment (a rotation changes it there). */
    databaseUrlInSsm?: boolean;
    /** A database made beforehand (dropped with the bridge). */
    database?: TestDatabase;
    /** Replies that cannot go at once wait in an in-process reply queue, whose consumer runs. */
    replyQueue?: boolean;
  } = {},
): Promise<TestBridge> {
  const database: TestDatabase = options.database ?? (await engine.create());
  const target = new URL(database.url);
  const proxy = options.proxy ? await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) }) : undefined;
  const telegram = await startFakeTelegram({ token: SECRETS.botToken });
  const webim = await startFakeWebim({ accessToken: SECRETS.webimAccessToken });
  const upstream = upstreamEnv(telegram.url, webim.url);
  if (options.ssm) for (const [name, value] of Object.entries(upstream)) options.ssm.parameters.set(`/bridge/test/${name}`, value);
  const ownUrl = proxy ? throughProxy(database.url, proxy) : database.url;
  const databaseUrl = options.databaseUrl ? options.databaseUrl(ownUrl) : ownUrl;
  if (options.databaseUrlInSsm) options.ssm?.parameters.set('/bridge/test/DATABASE_URL', databaseUrl);
  const env: Record<string, string> = {
    ...(options.ssm ? { ...FAKE_AWS_ENV, AWS_ENDPOINT_URL_SSM: options.ssm.url, SSM_PREFIX: '/bridge/test' } : upstream),
    PUBLIC_BASE_URL: 'https://abcd1234ef.execute-api.eu-central-1.amazonaws.com',
    ...(options.databaseUrlInSsm ? {} : { DATABASE_URL: databaseUrl }),
    DATABASE_POOL_MAX: String(database.poolMax),
    TELEGRAM_TIMEOUT_MS: '2000',
    WEBIM_TIMEOUT_MS: '2000',
    // The suites about delivery read the bridge's own words in English; test/functions/languages.test.ts covers the choice.
    DEFAULT_LANGUAGE: 'en',
    DESK_LANGUAGE: 'en',
    // …and /start answers nothing unless a suite sets WELCOME_TEXT (the catalogue's welcome is on by default).
    WELCOME_TEXT: 'off',
    // …and a closed chat asks for no rating unless a suite wants it (test/functions/feedback.test.ts).
    RATING_PROMPT: 'false',
    ...extraEnv,
  };
  const logs: string[] = [];
  let queries = 0;
  const queue = options.replyQueue ? new MemoryReplyQueue({ maxReceives: REDRIVE_MAX_RECEIVES, concurrency: 3 }) : undefined;
  const runtime = new Runtime({
    env,
    logSink: (line) => logs.push(line),
    onQuery: () => queries++,
    ssm: () => ssmReaderFromEnv(env),
    replyQueue: queue,
  });
  queue?.start(createReplyQueueHandler(runtime));
  // Assertions share the bridge's own pool (the embedded database takes one connection).
  const db = await runtime.databaseOnly();
  const migrations = options.migrations ?? (await readMigrations());
  if (migrations.length) await migrate(db, migrations);
  const telegramHandler = createTelegramWebhookHandler(runtime);
  const webimHandler = createWebimCallbackHandler(runtime);

  return {
    telegram,
    webim,
    proxy,
    queue,
    db,
    logs,
    runtime,
    queries: () => queries,
    postUpdate(update, options = {}) {
      const secret = options.secret === undefined ? SECRETS.webhookSecret : options.secret;
      return telegramHandler(
        httpApiEvent({
          routeKey: 'POST /telegram-webhook',
          path: '/telegram-webhook',
          headers: secret === null ? {} : { 'x-telegram-bot-api-secret-token': secret },
          body: update,
          rawBody: options.rawBody,
          base64: options.base64,
        }),
        options.context,
      );
    },
    postCallback(body, options = {}) {
      const authorization = options.authorization === undefined ? `Token ${SECRETS.callbackSecret}` : options.authorization;
      const path = options.pathSecret !== undefined ? `/webim-callback/${options.pathSecret}` : '/webim-callback';
      return webimHandler(
        httpApiEvent({
          routeKey: options.pathSecret !== undefined ? 'POST /webim-callback/{secret}' : 'POST /webim-callback',
          path,
          headers: { 'x-telegram-bot-api-secret-token': undefined, ...(authorization === null ? {} : { authorization }) },
          body,
          rawBody: options.rawBody,
          pathParameters: options.pathSecret !== undefined ? { secret: options.pathSecret } : undefined,
        }),
        options.context,
      );
    },
    parsedLogs: () => logs.map((l) => JSON.parse(l) as Record<string, unknown>),
    async close() {
      proxy?.restore();
      await queue?.stop();
      await runtime.close();
      await proxy?.close();
      await telegram.close();
      await webim.close();
      await database.drop();
    },
  };
}

/** A Telegram text update from a private chat. */
export function textUpdate(updateId: number, chatId: number, text: string, messageId = updateId): Record<string, unknown> {
  return {
    update_id: updateId,
    message: {
      message_id: messageId,
      from: { id: chatId, is_bot: false, first_name: 'Test', last_name: `User${chatId}`, username: `user${chatId}` },
      chat: { id: chatId, first_name: 'Test', type: 'private' },
      date: 1795338901,
      text,
    },
  };
}

/** A Webim operator-message callback. */
export function operatorCallback(visitorId: string, messageId: string, text: string): Record<string, unknown> {
  return { event: 'new_message', visitor_id: visitorId, chat_id: 90125, message: { id: messageId, kind: 'operator', text } };
}

/** Reads a chat's visitor id straight from the database. */
export async function visitorOf(db: Database, chatId: number): Promise<string> {
  const [row] = await db.sql<{ visitor_id: string }[]>`SELECT visitor_id FROM chat_mapping WHERE chat_id = ${chatId}`;
  if (!row) throw new Error(`no mapping for chat ${chatId}`);
  return row.visitor_id;
}

/** A fresh database and loopback fakes of Telegram and Webim, for suites that build their own Runtime. */
export async function startUpstreams(engine: DatabaseEngine) {
  const database = await engine.create();
  const telegram = await startFakeTelegram({ token: SECRETS.botToken });
  const webim = await startFakeWebim({ accessToken: SECRETS.webimAccessToken });
  return {
    database,
    telegram,
    webim,
    async close() {
      await telegram.close();
      await webim.close();
      await database.drop();
    },
  };
}
