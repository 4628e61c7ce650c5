import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { statsReport } from '../../lib/admin/stats';
import { flushStats } from '../../lib/db/delivery-stats';
import { type LocalEnvironment, prepareLocalEnvironment } from '../bootstrap';
import { type LocalServer, startLocalServer } from '../server';
import { SandboxEventBus } from './events';
import { sandboxRoutes } from './routes';
import { TelegramSimulator } from './telegram-simulator';
import { WebimSimulator } from './webim-simulator';

/** The settings that decide sandbox mode: with none of them set, `npm start` runs the sandbox. */
export const UPSTREAM_SETTINGS = [
  'TELEGRAM_BOT_TOKEN',
  'TELEGRAM_WEBHOOK_SECRET',
  'WEBIM_API_URL',
  'WEBIM_ACCESS_TOKEN',
  'WEBIM_CALLBACK_SECRET',
] as const;

export const wantsSandbox = (env: NodeJS.ProcessEnv): boolean => !env.SSM_PREFIX && UPSTREAM_SETTINGS.every((k) => !env[k]);

export interface Sandbox {
  bridge: LocalServer;
  /** The page: `<bridge>/sandbox`. */
  pageUrl: string;
  telegram: TelegramSimulator;
  webim: WebimSimulator;
  bus: SandboxEventBus;
  local: LocalEnvironment;
  stop(): Promise<void>;
}

const secret = (bytes = 18) => randomBytes(bytes).toString('base64url');

/**
 * Starts the bridge unchanged — same handlers, settings loading and embedded Postgres — with
 * its Telegram and Webim base URLs pointed at two loopback simulators, plus the sandbox page.
 */
export async function startSandbox(options: { port: number; dataDir?: string | null; quiet?: boolean }): Promise<Sandbox> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  const token = `7000000001:${secret(26)}`;
  const webhookSecret = secret();
  const accessToken = secret();
  const callbackSecret = secret();

  let telegram: TelegramSimulator | undefined;
  let webim: WebimSimulator | undefined;
  const bus = new SandboxEventBus(() => snapshot());
  const snapshot = () => ({
    users: telegram?.users ?? [],
    visitors: webim?.visitors ?? [],
    business: telegram?.business.state,
    faults: {
      webimDown: webim?.faults.down ?? false,
      telegramRateLimit: telegram?.faults.rateLimit ?? false,
      telegramDown: telegram?.faults.down ?? false,
    },
    // Made for this run, loopback only: so requests can be sent to the bridge's routes by hand (the README's full cycle).
    secrets: { telegramWebhook: webhookSecret, webimCallback: callbackSecret },
  });
  telegram = new TelegramSimulator(bus, token);
  webim = new WebimSimulator(bus, accessToken, callbackSecret);

  Object.assign(env, {
    TELEGRAM_BOT_TOKEN: token,
    TELEGRAM_WEBHOOK_SECRET: webhookSecret,
    TELEGRAM_API_BASE: await telegram.start(),
    WEBIM_API_URL: await webim.start(),
    WEBIM_ACCESS_TOKEN: accessToken,
    WEBIM_CALLBACK_SECRET: callbackSecret,
    // The welcome, the chat-closed text and every note come from the catalogue, in each user's language.
    FILE_LINK_SECRET: env.FILE_LINK_SECRET || secret(24),
    // Shown on the page: the bot's 👀 on a user's message once the desk has it.
    DELIVERY_REACTION: env.DELIVERY_REACTION || 'on',
    // A short Telegram timeout keeps "slow upstream" experiments snappy.
    TELEGRAM_TIMEOUT_MS: env.TELEGRAM_TIMEOUT_MS || '5000',
    WEBIM_TIMEOUT_MS: env.WEBIM_TIMEOUT_MS || '5000',
    // Waiting replies are retried within seconds, so a person can watch one go through.
    QUEUE_MAX_BACKOFF_SECONDS: env.QUEUE_MAX_BACKOFF_SECONDS || '3',
  });

  // The simulated Telegram and desk live in memory: the bridge's database starts as empty as they
  // do, or a restart would find chats, claims and visitors that neither simulator knows.
  if (options.dataDir) rmSync(options.dataDir, { recursive: true, force: true });
  const local = await prepareLocalEnvironment({
    env,
    dataDir: options.dataDir,
    logSink: (line) => {
      if (!options.quiet) process.stdout.write(`${line}\n`);
      const { time: _t, level, event, ...fields } = JSON.parse(line) as Record<string, unknown>;
      if (event === undefined) return; // a metrics record, not an event
      bus.emit('bridge', String(event), { level, ...fields });
    },
  });
  // The bridge's own delivery statistics, as `npm run stats` reads them (counts waiting in memory written first).
  const stats = async () => {
    const db = await local.runtime.databaseOnly();
    await flushStats(db);
    const { windows, hourly, ratings } = await statsReport(db);
    return { windows, hourly, ratings };
  };
  const bridge = await startLocalServer(local.runtime, { port: options.port, extra: sandboxRoutes(telegram, webim, bus, stats) });
  // File links point at this server's /files route; its port is known only now.
  env.FILE_LINK_BASE_URL = bridge.url;
  local.runtime.invalidateSettings();
  telegram.useWebhook(`${bridge.url}/telegram-webhook`, webhookSecret);
  webim.useCallback(`${bridge.url}/webim-callback`);
  // One user whose Telegram is in Russian, one in English: each reads the bridge in their language.
  telegram.addUser({ firstName: 'Ivan', lastName: 'Petrov', username: 'ivan_p', languageCode: 'ru' });
  telegram.addUser({ firstName: 'Maria', lastName: 'Sokolova', username: 'masha_s', languageCode: 'en' });

  return {
    bridge,
    pageUrl: `${bridge.url}/sandbox`,
    telegram,
    webim,
    bus,
    local,
    async stop() {
      bus.close();
      await bridge.close();
      await telegram?.stop();
      await webim?.stop();
      await local.stop();
    },
  };
}
