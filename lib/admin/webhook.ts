import type { WebhookInfo } from '@grammyjs/types';
import type { Settings } from '../settings/schema';
import type { TelegramClient } from '../telegram/client';

/** The update types the bridge handles; set explicitly so a stale filter never hides some. */
export const ALLOWED_UPDATES = ['message', 'edited_message', 'my_chat_member'];

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
  /** False when the URL is not ours (or, after delete, not empty) or Telegram reports a delivery error. */
  ok: boolean;
}

const isoDate = (unix?: number) => (unix ? new Date(unix * 1000).toISOString() : undefined);

/** Turns getWebhookInfo into a report. */
export function reportOf(action: WebhookAction, info: WebhookInfo, expectedUrl?: string): WebhookReport {
  const report: WebhookReport = {
    action,
    url: info.url ?? '',
    pending_update_count: info.pending_update_count,
    max_connections: info.max_connections,
    allowed_updates: info.allowed_updates,
    last_error_date: isoDate(info.last_error_date),
    last_error_message: info.last_error_message,
    last_synchronization_error_date: isoDate(info.last_synchronization_error_date),
    ok: action === 'delete' ? !info.url : info.url === expectedUrl && !info.last_error_message,
  };
  return JSON.parse(JSON.stringify(report)) as WebhookReport; // drops undefined fields
}

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
  } else if (action === 'delete') {
    await telegram.deleteWebhook(request.dropPendingUpdates ?? false);
  }
  return reportOf(action, await telegram.getWebhookInfo(), expectedUrl);
}
