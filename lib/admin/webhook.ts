import type { WebhookInfo } from '@grammyjs/types';
import { LANGUAGES, wordsOf } from '../i18n/catalogue';
import type { Settings } from '../settings/schema';
import type { TelegramClient } from '../telegram/client';
import type { Check } from './check';

/** The update types the bridge handles; set explicitly so a stale filter never hides some. */
export const ALLOWED_UPDATES = [
  'message',
  'edited_message',
  'my_chat_member',
  'callback_query',
  // Telegram Business: connections, and the chats of connected accounts (docs/business.md).
  'business_connection',
  'business_message',
  'edited_business_message',
  'deleted_business_messages',
  // Reactions to the bridge's replies become operator notes.
  'message_reaction',
];

export type WebhookAction = 'set' | 'info' | 'delete';

export interface WebhookRequest {
  action?: WebhookAction;
  dropPendingUpdates?: boolean;
}

export interface WebhookReport {
  action: WebhookAction;
  url: string;
  pending_update_count: number;
  max_connections?: number;
  allowed_updates?: string[];
  last_error_date?: string;
  last_error_message?: string;
  last_synchronization_error_date?: string;
  /** False when the webhook judgement (judgeWebhook) finds a problem, or, after delete, a URL remains. */
  ok: boolean;
  /** The judgement's lines (set and info). */
  checks?: Check[];
  /** set: the command menus registered, by language (`default` for everyone else). */
  commands?: string[];
}

const isoDate = (unix?: number) => (unix ? new Date(unix * 1000).toISOString() : undefined);

/** Turns getWebhookInfo into a report, judged by the same rule as the doctor's. */
function reportOf(action: WebhookAction, info: WebhookInfo, settings: WebhookSettings, nowMs = Date.now()): WebhookReport {
  const checks = action === 'delete' ? undefined : judgeWebhook(info, settings, nowMs);
  const report: WebhookReport = {
    action,
    url: info.url ?? '',
    pending_update_count: info.pending_update_count,
    max_connections: info.max_connections,
    allowed_updates: info.allowed_updates,
    last_error_date: isoDate(info.last_error_date),
    last_error_message: info.last_error_message,
    last_synchronization_error_date: isoDate(info.last_synchronization_error_date),
    ok: checks ? !checks.some((c) => c.status === 'fail') : !info.url,
    checks,
  };
  return JSON.parse(JSON.stringify(report)) as WebhookReport; // drops undefined fields
}

type WebhookSettings = Pick<Settings, 'PUBLIC_BASE_URL' | 'TELEGRAM_WEBHOOK_SECRET' | 'WEBHOOK_RESERVED_CONCURRENCY'>;

/** A webhook error younger than this, with updates waiting, means updates are failing now. */
const RECENT_ERROR_SECONDS = 15 * 60;
const REGISTER_HINT = 'npx serverless invoke -f admin --stage <stage> --data \'{"action":"set"}\' (or npm run register-webhook locally)';

/**
 * The one rule for "is the webhook right", used by `setup` after registering it and by the
 * doctor: the URL must be the stage's own, the secret set and `allowed_updates` exactly the
 * bridge's (each a ✗ otherwise). Telegram never clears `last_error_*`, so an error is a problem
 * (✗) only while it is recent *and* updates are waiting; an old one is a warning, so a redeploy
 * onto a stage that once answered 503 succeeds.
 */
export function judgeWebhook(info: WebhookInfo, settings: WebhookSettings, nowMs: number): Check[] {
  const checks: Check[] = [];
  const expected = webhookUrlFor(settings);
  if (!expected)
    checks.push({
      name: 'webhook',
      status: 'warn',
      detail: `registered at ${info.url || '(none)'}; PUBLIC_BASE_URL unknown, so not compared`,
      hint: 'set PUBLIC_BASE_URL',
    });
  else if (info.url !== expected)
    checks.push({
      name: 'webhook',
      status: 'fail',
      detail: `registered at ${info.url || '(none)'}, expected ${expected}`,
      hint: REGISTER_HINT,
    });
  else if (!settings.TELEGRAM_WEBHOOK_SECRET)
    checks.push({
      name: 'webhook',
      status: 'fail',
      detail: `${info.url} without a secret token`,
      hint: 'set TELEGRAM_WEBHOOK_SECRET and register the webhook again',
    });
  else checks.push({ name: 'webhook', status: 'ok', detail: `${info.url} (secret token set)` });

  const allowed = info.allowed_updates ?? [];
  if (info.url && [...allowed].sort().join() !== [...ALLOWED_UPDATES].sort().join()) {
    checks.push({
      name: 'updates',
      status: 'fail',
      detail: `allowed_updates is [${allowed.join(', ') || 'Telegram default'}], expected [${ALLOWED_UPDATES.join(', ')}]`,
      hint: REGISTER_HINT,
    });
  }
  const cap = settings.WEBHOOK_RESERVED_CONCURRENCY;
  if (info.url && cap !== undefined && (info.max_connections ?? 40) > cap) {
    checks.push({
      name: 'capacity',
      status: 'warn',
      detail: `max_connections ${info.max_connections} exceeds the webhook function's reserved concurrency ${cap}`,
      hint: REGISTER_HINT,
    });
  }

  const pending = info.pending_update_count;
  if (info.last_error_date) {
    const age = Math.max(0, Math.round(nowMs / 1000 - info.last_error_date));
    const failingNow = age < RECENT_ERROR_SECONDS && pending > 0;
    checks.push({
      name: 'delivery',
      status: failingNow ? 'fail' : 'warn',
      detail: `${pending} update(s) waiting; last error ${ago(age)}${failingNow ? '' : ' (Telegram keeps the last error until the next one)'}: ${info.last_error_message ?? 'unknown'}`,
      hint: webhookErrorHint(info.last_error_message ?? ''),
    });
  } else {
    checks.push({
      name: 'delivery',
      status: pending > 100 ? 'warn' : 'ok',
      detail: `${pending} update(s) waiting, no delivery error reported`,
    });
  }
  return checks;
}

function webhookErrorHint(message: string): string {
  if (/401|403/.test(message))
    return 'Telegram is refused by the bridge: the webhook secret differs from TELEGRAM_WEBHOOK_SECRET; register the webhook again';
  if (/503|502|500/.test(message)) return 'the bridge answers 5xx: read its logs (configuration_error, delivery_deferred) and the alarms';
  if (/certificate|SSL/i.test(message)) return 'Telegram cannot verify the TLS certificate of PUBLIC_BASE_URL';
  return "read the functions' logs for the time of the error";
}

/** A duration as people read it. */
export const ago = (seconds: number) =>
  seconds < 120 ? `${seconds} s ago` : seconds < 7200 ? `${Math.round(seconds / 60)} min ago` : `${Math.round(seconds / 3600)} h ago`;

/** Where Telegram must deliver updates: the stage's own /telegram-webhook route (undefined when PUBLIC_BASE_URL is unknown). */
export const webhookUrlFor = (settings: Pick<Settings, 'PUBLIC_BASE_URL'>): string | undefined =>
  settings.PUBLIC_BASE_URL ? `${settings.PUBLIC_BASE_URL}/telegram-webhook` : undefined;

/** Registers (or inspects, or removes) the Telegram webhook and reports what Telegram now says. */
export async function manageWebhook(telegram: TelegramClient, settings: Settings, request: WebhookRequest = {}): Promise<WebhookReport> {
  const action = request.action ?? 'set';
  const expectedUrl = webhookUrlFor(settings);
  if (action === 'set') {
    if (!expectedUrl) throw new Error('PUBLIC_BASE_URL is not set: it is needed to register the webhook');
    await telegram.setWebhook({
      url: expectedUrl,
      secret_token: settings.TELEGRAM_WEBHOOK_SECRET,
      allowed_updates: ALLOWED_UPDATES,
      // Never more concurrent webhook calls than the function may run (its share of the connection budget).
      max_connections: Math.min(settings.TELEGRAM_MAX_CONNECTIONS, settings.WEBHOOK_RESERVED_CONCURRENCY ?? 100),
      drop_pending_updates: request.dropPendingUpdates ?? false,
    });
    const commands = await setCommandMenus(telegram, settings);
    return { ...reportOf(action, await telegram.getWebhookInfo(), settings), commands };
  } else if (action === 'delete') {
    await telegram.deleteWebhook(request.dropPendingUpdates ?? false);
  }
  return reportOf(action, await telegram.getWebhookInfo(), settings);
}

/**
 * The bot's command menu in each language of the catalogue (`language_code` scoped), and for
 * every other user in DEFAULT_LANGUAGE. Idempotent: each call replaces the menu it names.
 */
export async function setCommandMenus(telegram: TelegramClient, settings: Pick<Settings, 'DEFAULT_LANGUAGE'>): Promise<string[]> {
  const menuOf = (language: (typeof LANGUAGES)[number]) => [{ command: 'start', description: wordsOf(language).commands.start }];
  for (const language of LANGUAGES) await telegram.setMyCommands(menuOf(language), language);
  await telegram.setMyCommands(menuOf(settings.DEFAULT_LANGUAGE));
  return [...LANGUAGES, `default (${settings.DEFAULT_LANGUAGE})`];
}
