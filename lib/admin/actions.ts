import type { Runtime } from '../app/runtime';
import { flushStats } from '../db/delivery-stats';
import { type Migration, migrate } from '../db/migrate';
import { classifyTelegramError, TelegramNetworkError } from '../telegram/errors';
import { type Check, runDoctor, telegramHint } from './doctor';
import { type StatsReport, statsReport } from './stats';
import { manageWebhook, type WebhookReport } from './webhook';

/** What the admin function (and `npm run admin`) can be asked to do. */
export const ADMIN_ACTIONS = ['setup', 'doctor', 'stats', 'set', 'info', 'delete', 'migrate'] as const;
export type AdminAction = (typeof ADMIN_ACTIONS)[number];

export interface AdminRequest {
  action?: AdminAction;
  /** `set` / `delete` only: discard updates Telegram queued. Off unless asked: they are user messages. */
  dropPendingUpdates?: boolean;
}

export interface AdminResult {
  action: AdminAction;
  /** False when the action failed; the Lambda function then fails too, so `serverless invoke` exits non-zero. */
  ok: boolean;
  /** Human-readable report, one line per fact or check. */
  lines: string[];
  webhook?: WebhookReport;
  applied?: string[];
  /** The doctor's checks (doctor and setup). */
  checks?: Check[];
  /** Delivery statistics (stats). */
  stats?: Omit<StatsReport, 'lines'>;
}

/** Raised for a request the admin function does not understand. */
export class AdminRequestError extends Error {
  override readonly name = 'AdminRequestError';
}

export function parseAdminRequest(event: unknown): AdminRequest {
  const request = (event && typeof event === 'object' ? event : {}) as AdminRequest;
  const action = request.action ?? 'setup';
  if (!(ADMIN_ACTIONS as readonly string[]).includes(action)) {
    throw new AdminRequestError(`unknown action "${String(action)}": use one of ${ADMIN_ACTIONS.join(', ')}`);
  }
  return { action, dropPendingUpdates: request.dropPendingUpdates === true };
}

/**
 * Runs one admin action with the runtime's settings. `setup` is what a deploy runs: migrate, then
 * register the webhook with the stage's own URL, then the doctor; it is safe to repeat.
 */
export async function runAdminAction(runtime: Runtime, request: AdminRequest, migrations: Migration[]): Promise<AdminResult> {
  const action = request.action ?? 'setup';
  switch (action) {
    case 'migrate':
      return migrateAction(runtime, migrations);
    case 'stats': {
      const db = await runtime.databaseOnly();
      // Counts this process made but has not written yet (they ride on later statements) belong
      // in the report: a long-running local bridge answers `npm run stats` itself.
      await flushStats(db);
      const report = await statsReport(db);
      return { action, ok: true, lines: report.lines, stats: { windows: report.windows, hourly: report.hourly, ratings: report.ratings } };
    }
    case 'doctor': {
      const report = await doctor(runtime, migrations);
      return { action, ok: report.ok, lines: report.lines, checks: report.checks };
    }
    case 'set':
    case 'info':
    case 'delete':
      return webhookAction(runtime, action, request.dropPendingUpdates === true);
    case 'setup': {
      const migrated = await migrateAction(runtime, migrations).catch((error: unknown) => failed('migrate', error));
      runtime.invalidateSettings(); // the settings table may have just been created
      const webhook = migrated.ok ? await webhookAction(runtime, 'set', false).catch((error: unknown) => failed('set', error)) : undefined;
      const report = await doctor(runtime, migrations);
      return {
        action,
        ok: migrated.ok && (webhook?.ok ?? false) && report.ok,
        lines: [...migrated.lines, ...(webhook?.lines ?? []), '', 'doctor:', ...report.lines],
        applied: migrated.applied,
        webhook: webhook?.webhook,
        checks: report.checks,
      };
    }
  }
}

async function migrateAction(runtime: Runtime, migrations: Migration[]): Promise<AdminResult> {
  const applied = await migrate(await runtime.databaseOnly(), migrations);
  runtime.log.info('migrations_applied', { applied, known: migrations.length });
  return {
    action: 'migrate',
    ok: true,
    applied,
    lines: [`✓ migrate    ${applied.length ? `applied ${applied.join(', ')}` : `nothing to apply (${migrations.length} current)`}`],
  };
}

async function webhookAction(runtime: Runtime, action: 'set' | 'info' | 'delete', dropPendingUpdates: boolean): Promise<AdminResult> {
  const ctx = await runtime.context();
  let report: WebhookReport;
  try {
    report = await manageWebhook(ctx.telegram, ctx.settings, { action, dropPendingUpdates });
  } catch (error) {
    // Telegram out of reach, or refusing the token: the doctor's words, the reason and what to do
    // (never the token, which is in the method URL). Telegram's own refusals of the request keep
    // their message, which says what it did not like.
    const { action: kind, reason } = classifyTelegramError(error);
    if (!(error instanceof TelegramNetworkError) && kind !== 'configuration') throw error;
    runtime.log.warn('webhook_action_failed', { action, reason });
    return { action, ok: false, lines: [`✗ webhook    ${action} failed: ${reason}`, `  → ${telegramHint(error)}`] };
  }
  runtime.log.info('webhook_report', { ...report });
  const mark = report.ok ? '✓' : '✗';
  const lines = [
    `${mark} webhook    ${action === 'set' ? 'registered' : action === 'delete' ? 'deleted' : 'is'} ${report.url || '(none)'}, ${report.pending_update_count} pending, max_connections ${report.max_connections ?? '?'}`,
  ];
  if (report.commands) lines.push(`✓ commands   menu set: ${report.commands.join(', ')}`);
  for (const check of report.checks ?? []) {
    if (check.status !== 'ok') lines.push(`  ${check.status === 'fail' ? '✗' : '!'} ${check.name}: ${check.detail}`);
  }
  return { action, ok: report.ok, lines, webhook: report };
}

function doctor(runtime: Runtime, migrations: Migration[]) {
  return runDoctor({
    settings: async () => (await runtime.context()).settings,
    database: () => runtime.databaseOnly(),
    migrations,
    replyQueue: (settings) => runtime.replyQueue(settings),
    version: process.env.BRIDGE_VERSION,
  });
}

function failed(action: AdminAction, error: unknown): AdminResult {
  return { action, ok: false, lines: [`✗ ${action.padEnd(10)} ${error instanceof Error ? error.message : String(error)}`] };
}
