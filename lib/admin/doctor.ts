import type { WebhookInfo } from '@grammyjs/types';
import { isLoopbackHost } from '../core/loopback';
import type { Database } from '../db/database';
import type { Migration } from '../db/migrate';
import { openFileLink, sealFileLink } from '../files/link';
import type { ReplyQueue } from '../queue/reply-queue';
import { type DatabaseTarget, explainDatabaseFailure } from '../settings/database-connection';
import type { Settings } from '../settings/schema';
import { SettingsError } from '../settings/schema';
import { describeUserTexts } from '../settings/texts';
import { TelegramClient } from '../telegram/client';
import { classifyTelegramError } from '../telegram/errors';
import { WebimClient } from '../webim/client';
import { businessConnectionsCheck } from './business-check';
import type { Check, CheckStatus } from './check';
import { judgeWebhook } from './webhook';

export type { Check, CheckStatus } from './check';

export interface DoctorReport {
  /** False when any check failed (a warning alone keeps it true). */
  ok: boolean;
  checks: Check[];
  /** The report as printed: one line per check, hints indented below problems. */
  lines: string[];
}

export interface DoctorInput {
  /** Validated settings; throws SettingsError naming what is missing or invalid. */
  settings: () => Promise<Settings>;
  /** The database (reachable or not: the doctor finds out). */
  database: () => Promise<Database>;
  /** The migration files this version ships. */
  migrations: Migration[];
  now?: () => number;
  /** Per-call timeout for the upstream probes. */
  timeoutMs?: number;
  /** The reply queue of these settings (SQS on a stage), if any. */
  replyQueue?: (settings: Settings) => ReplyQueue | undefined;
  /** The release running (BRIDGE_VERSION, set from package.json by the template and locally). */
  version?: string;
}

const MARK: Record<CheckStatus, string> = { ok: '✓', fail: '✗', warn: '!' };

/**
 * Checks everything a working stage needs, each as one line with ✓ / ✗ / ! and a hint for each
 * problem: settings (names, never values), database and TLS, migrations, bot token, webhook,
 * Webim endpoint, the callback URL to give Webim, secrets in rotation. Never throws; never
 * creates anything upstream (no message, no visitor).
 */
export async function runDoctor(input: DoctorInput): Promise<DoctorReport> {
  const checks: Check[] = [];
  const now = input.now ?? Date.now;
  // First, so an operator knows what runs, and what "deploy the previous release" means (CHANGELOG.md).
  if (input.version) checks.push({ name: 'version', status: 'ok', detail: `telegram-webim-bridge ${input.version} (CHANGELOG.md)` });
  const timeoutMs = input.timeoutMs ?? 5000;

  let settings: Settings | undefined;
  let settingsLine: Check & { fromSettings?: boolean };
  try {
    settings = await input.settings();
    settingsLine = { name: 'settings', status: 'ok', detail: 'all required settings present and valid' };
  } catch (error) {
    settingsLine = settingsCheck(error);
  }
  const database = await databaseChecks(input);
  // Settings also live in the database's settings table: when the database is what failed, its
  // own line names the cause, and the settings line points there instead of at SSM.
  if (settingsLine.status === 'fail' && !settingsLine.fromSettings) {
    const databaseFailed = database.some((c) => c.name === 'database' && c.status === 'fail');
    settingsLine = databaseFailed
      ? { name: 'settings', status: 'warn', detail: 'the settings table was not read: the database is not usable (see below)' }
      : settingsLine;
  }
  delete settingsLine.fromSettings;
  checks.push(settingsLine, ...database);
  if (database[0]?.status === 'ok') {
    const business = await input.database().then(businessConnectionsCheck, () => undefined);
    if (business) checks.push(business);
  }

  if (!settings) {
    checks.push({ name: 'telegram', status: 'warn', detail: 'not checked: settings incomplete' });
    checks.push({ name: 'webim', status: 'warn', detail: 'not checked: settings incomplete' });
    return report(checks);
  }

  const telegram = new TelegramClient({ token: settings.TELEGRAM_BOT_TOKEN, apiBase: settings.TELEGRAM_API_BASE, timeoutMs });
  const botOk = await botCheck(telegram, checks);
  if (botOk) await webhookChecks(telegram, settings, checks, now());
  checks.push(await webimCheck(settings, timeoutMs));
  if (input.replyQueue) checks.push(await queueCheck(() => input.replyQueue?.(settings as Settings)));
  checks.push(callbackCheck(settings));
  checks.push(fileLinkCheck(settings));
  checks.push(...languageChecks(settings));
  for (const name of ['TELEGRAM_WEBHOOK_SECRET_PREVIOUS', 'WEBIM_CALLBACK_SECRET_PREVIOUS'] as const) {
    if (settings[name]) {
      checks.push({
        name: 'rotation',
        status: 'warn',
        detail: `${name} is still set: the previous secret is still accepted`,
        hint: `once ${name === 'TELEGRAM_WEBHOOK_SECRET_PREVIOUS' ? 'the webhook is registered with the new secret' : 'Webim sends the new secret'}, delete ${name}`,
      });
    }
  }
  return report(checks);
}

function report(checks: Check[]): DoctorReport {
  const lines: string[] = [];
  for (const c of checks) {
    lines.push(`${MARK[c.status]} ${c.name.padEnd(10)} ${c.detail}`);
    if (c.hint && c.status !== 'ok') lines.push(`  → ${c.hint}`);
  }
  const failed = checks.filter((c) => c.status === 'fail').length;
  const warned = checks.filter((c) => c.status === 'warn').length;
  lines.push(
    failed ? `${failed} problem(s) to fix${warned ? `, ${warned} warning(s)` : ''}` : `all good${warned ? ` (${warned} warning(s))` : ''}`,
  );
  return { ok: failed === 0, checks, lines };
}

function settingsCheck(error: unknown): Check & { fromSettings?: boolean } {
  if (!(error instanceof SettingsError)) {
    const problem = explainDatabaseFailure(error, undefined);
    if (problem)
      return { name: 'settings', status: 'fail', detail: `the settings table could not be read: ${problem.detail}`, hint: problem.hint };
    return {
      name: 'settings',
      status: 'fail',
      detail: `could not be loaded: ${describe(error)}`,
      hint: process.env.SSM_PREFIX
        ? `check SSM_PREFIX (${process.env.SSM_PREFIX}) and the permission to read it`
        : 'check .env and the environment (locally there is no SSM unless SSM_PREFIX is set)',
      fromSettings: true,
    };
  }
  const parts = [];
  if (error.missing.length) parts.push(`missing ${error.missing.join(', ')}`);
  if (error.invalid.length) parts.push(`invalid ${error.invalid.map((i) => `${i.key} (${i.problem})`).join('; ')}`);
  return {
    name: 'settings',
    status: 'fail',
    fromSettings: true,
    detail: parts.join('; '),
    hint: process.env.SSM_PREFIX
      ? `on AWS: SSM parameters under ${process.env.SSM_PREFIX} (aws ssm put-parameter --overwrite --name "${process.env.SSM_PREFIX}/NAME" --type SecureString --value …), then wait SETTINGS_TTL_SECONDS or redeploy`
      : 'locally: in .env (copy .env.example) or the environment; then restart npm start',
  };
}

async function databaseChecks(input: DoctorInput): Promise<Check[]> {
  let db: Database | undefined;
  try {
    db = await input.database();
    await db.query((sql) => sql`SELECT 1`, { timeoutMs: 5000 });
  } catch (error) {
    // An invalid DATABASE_URL is already the settings line's finding: not repeated here.
    if (error instanceof SettingsError)
      return [{ name: 'database', status: 'warn', detail: 'not checked: DATABASE_URL is not usable (see settings)' }];
    const problem = explainDatabaseFailure(error, db ? targetOf(db) : undefined);
    return [
      problem
        ? { name: 'database', status: 'fail', detail: problem.detail, hint: problem.hint }
        : {
            name: 'database',
            status: 'fail',
            detail: `unusable: ${describe(error)}`,
            hint: 'check DATABASE_URL (host, port, user, password); from Lambda: the VPC subnets and a security group rule allowing the functions on port 5432',
          },
    ];
  }
  const checks: Check[] = [];
  const tls = await db
    .query((sql) => sql<{ ssl: boolean; version: string | null }[]>`SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()`, {
      timeoutMs: 5000,
    })
    .then((rows) => rows[0])
    .catch(() => undefined);
  const host = safeHost(db);
  const loopback = host === undefined || isLoopbackHost(host);
  if (tls?.ssl) checks.push({ name: 'database', status: 'ok', detail: `reachable over TLS (${tls.version ?? 'TLS'})` });
  else if (host?.startsWith('/')) checks.push({ name: 'database', status: 'ok', detail: `reachable over the Unix socket in ${host}` });
  else if (loopback) checks.push({ name: 'database', status: 'ok', detail: 'reachable (loopback, no TLS needed)' });
  else
    checks.push({
      name: 'database',
      status: 'fail',
      detail: 'reachable but NOT encrypted',
      hint: 'remove sslmode=disable from DATABASE_URL: non-loopback connections use TLS (verify-full) by default',
    });

  try {
    const applied = new Set(
      (await db.query((sql) => sql<{ version: string }[]>`SELECT version FROM schema_migrations`, { timeoutMs: 5000 })).map(
        (r) => r.version,
      ),
    );
    const pending = input.migrations.filter((m) => !applied.has(m.version)).map((m) => m.version);
    checks.push(
      pending.length
        ? {
            name: 'migrations',
            status: 'fail',
            detail: `pending: ${pending.join(', ')}`,
            hint: 'npm run migrate (locally) or npx serverless invoke -f migrate --stage <stage>',
          }
        : { name: 'migrations', status: 'ok', detail: `current (${input.migrations.length} applied)` },
    );
  } catch (error) {
    const problem = (error as { code?: string }).code === '42P01' ? undefined : explainDatabaseFailure(error, targetOf(db));
    checks.push(
      problem
        ? { name: 'migrations', status: 'fail', detail: `not readable: ${problem.detail}`, hint: problem.hint }
        : {
            name: 'migrations',
            status: 'fail',
            detail: 'none applied yet',
            hint: 'npm run migrate (locally) or npx serverless invoke -f migrate --stage <stage>',
          },
    );
  }
  return checks;
}

/** Where the driver connects (from its parsed options): host and port or socket, user, database. */
const targetOf = (db: Database): DatabaseTarget => {
  const o = (db.sql as unknown as { options?: { host?: string[]; port?: number[]; user?: string; database?: string } }).options;
  const host = o?.host?.[0];
  return host?.startsWith('/')
    ? { socketDir: host, user: o?.user, database: o?.database }
    : { host, port: o?.port?.[0], user: o?.user, database: o?.database };
};

const safeHost = (db: Database): string | undefined => {
  const options = (db.sql as unknown as { options?: { host?: string[] } }).options;
  return options?.host?.[0];
};

async function botCheck(telegram: TelegramClient, checks: Check[]): Promise<boolean> {
  try {
    const me = await telegram.getMe();
    const mode = me.callback_query_mode && me.callback_query_mode !== 'default' ? `, button presses in ${me.callback_query_mode} mode` : '';
    checks.push({ name: 'bot', status: 'ok', detail: `token valid: @${me.username}${mode}` });
    // Only private chats are relayed: a bot that may join groups invites messages nobody answers.
    if (me.can_join_groups)
      checks.push({
        name: 'groups',
        status: 'warn',
        detail: 'the bot may be added to groups, whose messages the bridge ignores',
        hint: 'in @BotFather: /setjoingroups, pick the bot, Disable',
      });
    return true;
  } catch (error) {
    checks.push({ name: 'bot', status: 'fail', detail: `getMe failed: ${classifyTelegramError(error).reason}`, hint: telegramHint(error) });
    return false;
  }
}

/** What to do about a failed Bot API call: the token, or the way out to Telegram. Shared by the doctor and the webhook actions. */
export function telegramHint(error: unknown): string {
  return classifyTelegramError(error).action === 'configuration'
    ? 'TELEGRAM_BOT_TOKEN is wrong or revoked: take the current token from @BotFather (and check TELEGRAM_API_BASE)'
    : 'Telegram is unreachable from here: check outbound internet, DNS and any proxy (a Lambda in a VPC needs a NAT gateway); TELEGRAM_API_BASE if set';
}

async function webhookChecks(telegram: TelegramClient, settings: Settings, checks: Check[], nowMs: number): Promise<void> {
  let info: WebhookInfo;
  try {
    info = await telegram.getWebhookInfo();
  } catch (error) {
    checks.push({ name: 'webhook', status: 'fail', detail: `getWebhookInfo failed: ${classifyTelegramError(error).reason}` });
    return;
  }
  checks.push(...judgeWebhook(info, settings, nowMs));
}

async function webimCheck(settings: Settings, timeoutMs: number): Promise<Check> {
  const webim = new WebimClient({ apiUrl: settings.WEBIM_API_URL, accessToken: settings.WEBIM_ACCESS_TOKEN, timeoutMs });
  const scheme = new URL(settings.WEBIM_API_URL).protocol;
  try {
    const status = await webim.probe(timeoutMs);
    if (status === 401 || status === 403)
      return {
        name: 'webim',
        status: 'warn',
        detail: `endpoint answers ${status} to our token`,
        hint: 'check WEBIM_ACCESS_TOKEN (the Custom Channel key)',
      };
    if (status >= 500)
      return {
        name: 'webim',
        status: 'warn',
        detail: `endpoint reachable but answers ${status}`,
        hint: 'Webim reports a server error: retry later or contact Webim',
      };
    return {
      name: 'webim',
      status: 'ok',
      detail: `endpoint reachable over ${scheme === 'https:' ? 'HTTPS' : 'plain HTTP (loopback)'} (HTTP ${status} to a probe that creates nothing)`,
    };
  } catch (error) {
    return {
      name: 'webim',
      status: 'fail',
      detail: `endpoint unreachable: ${describe(error)}`,
      hint: 'check WEBIM_API_URL; from Lambda in a VPC: a NAT gateway for outbound internet',
    };
  }
}

/** More waiting replies than this is worth a look (Telegram failing, or the consumer stopped). */
const WAITING_REPLIES_WARN = 100;

async function queueCheck(replyQueue: () => ReplyQueue | undefined): Promise<Check> {
  let queue: ReplyQueue | undefined;
  try {
    queue = replyQueue();
  } catch (error) {
    return {
      name: 'queue',
      status: 'fail',
      detail: `reply queue not usable: ${describe(error)}`,
      hint: 'check REPLY_QUEUE_URL and AWS_REGION',
    };
  }
  if (!queue) {
    return {
      name: 'queue',
      status: 'warn',
      detail: 'no reply queue here: a reply that cannot be delivered at once is answered 503 and depends on Webim calling again',
      hint: 'on AWS the template sets REPLY_QUEUE_URL; npm start runs an in-process queue',
    };
  }
  try {
    const d = await queue.depths();
    const detail = `${d.waiting} waiting, ${d.inFlight} being delivered, ${d.deadLettered} dead-lettered`;
    if (d.deadLettered > 0) {
      return {
        name: 'queue',
        status: 'warn',
        detail,
        hint: 'dead-lettered replies did not reach their users: read the admin alerts, then redrive with aws sqs start-message-move-task --source-arn <ReplyDeadLetterQueueArn output> (docs/reply-queue.md)',
      };
    }
    if (d.waiting > WAITING_REPLIES_WARN)
      return {
        name: 'queue',
        status: 'warn',
        detail,
        hint: 'replies are piling up: is Telegram failing, or the replyQueue function throttled? (logs: delivery_deferred)',
      };
    return { name: 'queue', status: 'ok', detail };
  } catch (error) {
    return {
      name: 'queue',
      status: 'fail',
      detail: `depths unreadable: ${describe(error)}`,
      hint: "the functions' role needs sqs:GetQueueAttributes on the reply queues (the template grants it)",
    };
  }
}

function callbackCheck(settings: Settings): Check {
  if (!settings.PUBLIC_BASE_URL)
    return {
      name: 'callback',
      status: 'warn',
      detail: 'PUBLIC_BASE_URL unknown, so the callback URL cannot be named',
      hint: 'set PUBLIC_BASE_URL',
    };
  return {
    name: 'callback',
    status: 'ok',
    detail: `configure in Webim: ${settings.PUBLIC_BASE_URL}/webim-callback with header "Authorization: Token <WEBIM_CALLBACK_SECRET>"`,
  };
}

function fileLinkCheck(settings: Settings): Check {
  if (!settings.FILE_LINK_SECRET)
    return {
      name: 'files',
      status: 'warn',
      detail: 'FILE_LINK_SECRET is not set: files from users reach operators as text markers',
      hint: 'set FILE_LINK_SECRET (SecureString, 16+ characters) to relay files',
    };
  if (!settings.FILE_LINK_BASE_URL)
    return {
      name: 'files',
      status: 'fail',
      detail: 'file links have no base URL',
      hint: 'set FILE_LINK_BASE_URL (the template sets it to the file function URL)',
    };
  try {
    const token = sealFileLink(settings.FILE_LINK_SECRET, {
      fileId: 'doctor',
      name: 'doctor.txt',
      mediaType: 'text/plain',
      expiresAt: Math.floor(Date.now() / 1000) + 60,
    });
    if (!openFileLink(settings.FILE_LINK_SECRET, token).ok) throw new Error('link does not verify');
  } catch {
    return { name: 'files', status: 'fail', detail: 'file links cannot be signed', hint: 'check FILE_LINK_SECRET' };
  }
  return {
    name: 'files',
    status: 'ok',
    detail: `file links signable, valid ${settings.FILE_LINK_TTL_HOURS} h, served at ${settings.FILE_LINK_BASE_URL}/files/…`,
  };
}

const describe = (error: unknown): string => {
  if (error && typeof error === 'object' && 'code' in error && typeof (error as { code: unknown }).code === 'string')
    return (error as { code: string }).code;
  return error instanceof Error ? error.message : String(error);
};

/** Which language users and operators read, and where each user text comes from per language (never the texts). */
function languageChecks(settings: Settings): Check[] {
  return [
    {
      name: 'languages',
      status: 'ok',
      detail: `users read their Telegram language, else ${settings.DEFAULT_LANGUAGE}; operators read ${settings.DESK_LANGUAGE}`,
    },
    ...describeUserTexts(settings).map((detail): Check => ({ name: 'texts', status: 'ok', detail })),
  ];
}
