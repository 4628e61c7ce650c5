import * as z from 'zod/mini';
import { isLoopbackHost } from '../core/loopback';
import { describeIssue, PLAIN_WORDS } from '../core/schema-issues';
import { LANGUAGES, type Language } from '../i18n/catalogue';
import { isReactionEmoji, REACTION_EMOJI } from '../telegram/reactions';

/**
 * The one schema for every setting of the bridge. A setting has the same name everywhere:
 * env var `NAME`, SSM parameter `${SSM_PREFIX}/NAME`, row `NAME` in table `settings`.
 */

const flag = (fallback: boolean) =>
  z._default(
    z.pipe(
      z.union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off', ''])], {
        message: 'must be true or false (also 1/0, yes/no, on/off)',
      }),
      z.transform((v) => v === true || v === 'true' || v === '1' || v === 'yes' || v === 'on'),
    ),
    fallback,
  );

/** The longest invocation is the HTTP functions' Lambda timeout (28 s); a lease must outlast it. */
const MIN_CLAIM_LEASE_SECONDS = 30;

/** A whole number (a string from env, SSM or the table is read as one) within its bounds. */
const wholeNumber = (min: number, max: number, message: string | { min: string; max: string }) => {
  const says = typeof message === 'string' ? { any: message, min: message, max: message } : { any: 'must be a whole number', ...message };
  return z.pipe(z.coerce.number({ message: says.any }), z.int({ message: says.any }).check(z.gte(min, says.min), z.lte(max, says.max)));
};

const intIn = (min: number, max: number, fallback: number) =>
  z._default(wholeNumber(min, max, `must be a whole number from ${min} to ${max} (e.g. ${fallback})`), fallback);

/** A language the bridge has a catalogue for (`ru`, `en`, …), case-insensitive. */
const language = (fallback: Language) =>
  z._default(
    z.pipe(
      z.string().check(z.trim(), z.toLowerCase()),
      z.enum(LANGUAGES as [Language, ...Language[]], { message: `must be one of ${LANGUAGES.join(', ')}` }),
    ),
    fallback,
  );

/**
 * The texts the user reads that a setting may replace, with their longest length. Unset, the
 * catalogue's word in the user's language is sent; set, it replaces the word in every language;
 * `off` sends nothing. `<NAME>_<LANG>` (`WELCOME_TEXT_EN`) replaces it in one language only and
 * wins over `<NAME>`: a flat name, so it works the same as an env var, an SSM parameter and a row.
 */
export const USER_TEXT_LIMITS = {
  WELCOME_TEXT: 4096,
  CHAT_CLOSED_TEXT: 4096,
  UNDELIVERED_NOTICE_TEXT: 1024,
  DELAY_NOTICE_TEXT: 1024,
} as const;
export type UserTextSetting = keyof typeof USER_TEXT_LIMITS;
/** A per-language override's name: `WELCOME_TEXT_RU`, `DELAY_NOTICE_TEXT_EN`, … */
export type UserTextOverride = `${UserTextSetting}_${Uppercase<Language>}`;

/** The name of a text's override for one language. */
export const overrideName = (name: UserTextSetting, lang: Language): UserTextOverride =>
  `${name}_${lang.toUpperCase()}` as UserTextOverride;

const userTextSettings = Object.fromEntries(
  Object.entries(USER_TEXT_LIMITS).flatMap(([name, max]) => [
    [name, z.optional(z.string().check(z.maxLength(max)))],
    ...LANGUAGES.map((lang) => [overrideName(name as UserTextSetting, lang), z.optional(z.string().check(z.maxLength(max)))]),
  ]),
) as Record<UserTextSetting | UserTextOverride, z.ZodMiniOptional<z.ZodMiniString>>;

/** An http(s) URL without a trailing slash, so paths can be appended safely. */
const baseUrl = z.pipe(
  z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }),
  z.transform((v: string) => v.replace(/\/+$/, '')),
);
/** A secret that must be long enough to be hard to guess. */
const longSecret = (min: number) => z.string().check(z.minLength(min, `must be at least ${min} characters`));
const WEBHOOK_SECRET_RULE = 'must be 1–256 characters of A-Z a-z 0-9 _ -';
const webhookSecret = z.string().check(z.regex(/^[A-Za-z0-9_-]{1,256}$/, WEBHOOK_SECRET_RULE));
const nonEmpty = z.string().check(z.minLength(1, 'must not be empty'));

export const settingsSchema = z.object({
  TELEGRAM_BOT_TOKEN: z
    .string()
    .check(
      z.regex(
        /^\d+:[A-Za-z0-9_-]{20,}$/,
        'must be the token @BotFather gives: the bot id (digits), a colon, then 20 or more of A-Z a-z 0-9 _ - (e.g. 123456789:AAHk3xYz…, 46 characters in all)',
      ),
    ),
  TELEGRAM_WEBHOOK_SECRET: webhookSecret,
  TELEGRAM_API_BASE: z._default(baseUrl, 'https://api.telegram.org'),
  WEBIM_API_URL: z.url({
    protocol: /^https?$/,
    message: 'must be the Custom Channel endpoint, an https URL (e.g. https://youraccount.webim.ru/api/custom-channel/messages)',
  }),
  WEBIM_ACCESS_TOKEN: nonEmpty,
  WEBIM_CALLBACK_SECRET: longSecret(8),
  /** During a rotation: the previous webhook secret, still accepted until Telegram has the new one. */
  TELEGRAM_WEBHOOK_SECRET_PREVIOUS: z.optional(webhookSecret),
  /** During a rotation: the previous callback secret, still accepted until Webim sends the new one. */
  WEBIM_CALLBACK_SECRET_PREVIOUS: z.optional(longSecret(8)),
  /** The public base URL; defaults to HTTP_API_URL (the deployed API's own endpoint). */
  PUBLIC_BASE_URL: z.optional(baseUrl),
  /** Set by serverless.yml to the HTTP API's endpoint; the default for PUBLIC_BASE_URL. */
  HTTP_API_URL: z.optional(baseUrl),
  /** Most database connections all functions together may hold (the deploy splits it into reserved concurrency). */
  DATABASE_CONNECTION_BUDGET: intIn(9, 10_000, 40),
  /** Set by serverless.yml: the webhook function's reserved concurrency (caps max_connections). */
  WEBHOOK_RESERVED_CONCURRENCY: z.optional(
    wholeNumber(1, Number.MAX_SAFE_INTEGER, { min: 'must be a whole number of at least 1', max: 'must be a whole number' }),
  ),
  /** PEM file with extra CA certificates for the database's TLS (default: Lambda's /var/runtime/ca-cert.pem, which holds the RDS CAs). */
  DATABASE_CA_FILE: z.optional(nonEmpty),
  /** The fallback language of a user whose Telegram language has no catalogue (or who never sent one). */
  DEFAULT_LANGUAGE: language('ru'),
  /** The language of every operator note and every line the bridge adds to a visitor message. */
  DESK_LANGUAGE: language('ru'),
  /** WELCOME_TEXT, CHAT_CLOSED_TEXT, UNDELIVERED_NOTICE_TEXT, DELAY_NOTICE_TEXT and their per-language forms. */
  ...userTextSettings,
  DATABASE_URL: z.optional(nonEmpty),
  SETTINGS_TTL_SECONDS: intIn(0, 86_400, 300),
  PORT: intIn(1, 65_535, 3000),
  /** Seals file links (AES-256-GCM key derived from it); without it files reach the operator as text markers. */
  FILE_LINK_SECRET: z.optional(longSecret(16)),
  /** How long a file link works. */
  FILE_LINK_TTL_HOURS: intIn(1, 24 * 90, 168),
  /** Where file links point (`<base>/files/<token>`); serverless.yml sets the file function's URL, else PUBLIC_BASE_URL. */
  FILE_LINK_BASE_URL: z.optional(baseUrl),
  /** Hosts operator files may be downloaded from (comma-separated); default: the host of WEBIM_API_URL. */
  WEBIM_FILE_HOSTS: z.optional(z.string()),
  /** Telegram chat (or group) for admin alerts and /status; its own messages are never relayed. */
  ADMIN_CHAT_ID: z.optional(wholeNumber(-(2 ** 52), 2 ** 52, 'must be a Telegram chat id (a whole number, negative for a group)')),
  /** An upstream failing for longer than this is reported to the admin chat. */
  ALERT_AFTER_SECONDS: intIn(10, 86_400, 300),
  /** At most one alert per reason in this window; the next says how many were held back. */
  ALERT_INTERVAL_SECONDS: intIn(10, 86_400, 900),
  /** How long hourly delivery statistics are kept. */
  STATS_RETENTION_DAYS: intIn(1, 3650, 90),
  DELAY_NOTICE_AFTER_SECONDS: intIn(10, 86_400, 120),
  /** When Webim closes the chat, ask the user to rate the conversation (five choices under a short question). */
  RATING_PROMPT: flag(true),
  /**
   * Once Webim has accepted a user's message, the bot reacts to it with this emoji (one a bot may
   * set, e.g. 👀; `on` means 👀); empty or `off`: no reaction. Off by default.
   */
  DELIVERY_REACTION: z
    .pipe(
      z._default(z.string().check(z.trim()), ''),
      z.transform((v: string) => (/^(on|true|yes|1)$/i.test(v) ? '👀' : /^(off|false|no|0)?$/i.test(v) ? '' : v)),
    )
    .check(
      z.refine((v) => v === '' || isReactionEmoji(v), {
        message: `must be off, on (👀) or one emoji a bot may react with (${REACTION_EMOJI.slice(0, 8).join(' ')} …)`,
      }),
    ),
  /** Show the operator's name above each reply (when Webim's callback names the operator). */
  SHOW_OPERATOR_NAME: flag(false),
  /** Forward Webim `info` (system) messages to the user. */
  FORWARD_INFO_MESSAGES: flag(false),
  /** Per-call timeout for Bot API requests. */
  TELEGRAM_TIMEOUT_MS: intIn(100, 60_000, 8000),
  /** Per-call timeout for Webim requests. */
  WEBIM_TIMEOUT_MS: intIn(100, 60_000, 8000),
  /** setWebhook max_connections: caps concurrent Lambdas (and DB connections) Telegram drives. */
  TELEGRAM_MAX_CONNECTIONS: intIn(1, 100, 40),
  /** Longest a database statement may take (the invocation's remaining time may cut it shorter). */
  DATABASE_STATEMENT_TIMEOUT_MS: intIn(100, 60_000, 10_000),
  /** Connections per process; 1 on Lambda (one request per container at a time). */
  DATABASE_POOL_MAX: intIn(1, 100, 1),
  /** Named prepared statements per connection: auto = on, except behind RDS Proxy (see lib/db/connection-options). */
  DATABASE_PREPARED_STATEMENTS: z._default(z.enum(['auto', 'on', 'off'], { message: 'must be auto, on or off' }), 'auto'),
  /** How long delivery claims (processed ids) are kept before purging; Telegram keeps updates 24 h. */
  CLAIM_RETENTION_HOURS: intIn(24, 24 * 30, 48),
  /**
   * A claim still "processing" after this long is assumed abandoned (crashed invocation) and may
   * be retaken. It must outlast the longest invocation (the HTTP functions' 28 s Lambda timeout),
   * or a redelivery could take over a claim whose owner is still sending.
   */
  CLAIM_LEASE_SECONDS: z._default(
    wholeNumber(MIN_CLAIM_LEASE_SECONDS, 3600, {
      min: `must be a whole number of at least ${MIN_CLAIM_LEASE_SECONDS}: longer than the longest invocation (28 s), or a message can be sent twice`,
      max: 'must be at most 3600',
    }),
    60,
  ),
  /**
   * How long an unfinished operator message holds back the later ones of its chat (so replies
   * keep their order); after this the next message goes ahead even if the first never finishes.
   */
  ORDER_HOLD_SECONDS: intIn(30, 86_400, 600),
  /** Set by serverless.yml: the SQS FIFO queue where replies that cannot be delivered at once wait (locally: an in-process queue). */
  REPLY_QUEUE_URL: z.optional(baseUrl),
  /** Set by serverless.yml: the dead-letter queue of REPLY_QUEUE_URL. */
  REPLY_DEAD_LETTER_QUEUE_URL: z.optional(baseUrl),
  /** Delivery attempts of a waiting reply before it is dead-lettered (the template's maxReceiveCount is one more). */
  QUEUE_MAX_ATTEMPTS: intIn(2, 100, 20),
  /** A reply still waiting after this long is dead-lettered, whatever its attempts. */
  QUEUE_MAX_AGE_SECONDS: intIn(60, 14 * 86_400, 3600),
  /** Longest backoff between two attempts of a waiting reply (a 429's retry_after may ask for more, never less). */
  QUEUE_MAX_BACKOFF_SECONDS: intIn(1, 900, 60),
  /**
   * Telegram Business: what operators see when the connected account's owner writes in a
   * customer's chat themselves — `without_text` (a note that they did, default), `with_text` (the
   * note quotes their message: it then passes through the bridge to Webim) or `off`.
   */
  BUSINESS_OWNER_NOTES: z._default(
    z.enum(['off', 'without_text', 'with_text'], { message: 'must be off, without_text or with_text' }),
    'without_text',
  ),
  /** Telegram Business: once a reply is delivered, mark the customer's messages read (when the account allows it). */
  BUSINESS_READ_RECEIPTS: flag(true),
  /** Allow plain-http outbound URLs to non-loopback hosts (never in production). */
  ALLOW_INSECURE_HTTP: flag(false),
  LOG_LEVEL: z._default(z.enum(['debug', 'info', 'warn', 'error'], { message: 'must be debug, info, warn or error' }), 'info'),
});

export type Settings = z.infer<typeof settingsSchema>;
export type SettingName = keyof typeof settingsSchema.shape;

/**
 * One setting read from raw values by its own rule in the schema, for the few that are needed
 * before the whole set validates (the database connection, the alert about invalid settings):
 * its value, or its default when it is absent or invalid. parseSettings reports the invalid ones.
 */
export function settingOf<K extends SettingName>(
  raw: Record<string, string | undefined>,
  key: K,
): z.output<(typeof settingsSchema.shape)[K]> {
  const rule = settingsSchema.shape[key];
  const parsed = rule.safeParse(raw[key]);
  return (parsed.success ? parsed.data : rule.safeParse(undefined).data) as z.output<(typeof settingsSchema.shape)[K]>;
}
export const SETTING_NAMES = Object.keys(settingsSchema.shape) as SettingName[];

/** Settings whose values must never be logged and are scrubbed from every log line. */
export const SECRET_SETTINGS: readonly SettingName[] = [
  'TELEGRAM_BOT_TOKEN',
  'TELEGRAM_WEBHOOK_SECRET',
  'WEBIM_ACCESS_TOKEN',
  'WEBIM_CALLBACK_SECRET',
  'TELEGRAM_WEBHOOK_SECRET_PREVIOUS',
  'WEBIM_CALLBACK_SECRET_PREVIOUS',
  'FILE_LINK_SECRET',
  'DATABASE_URL',
];

/** Raised when settings are missing or invalid; names every offending key, never a value. */
export class SettingsError extends Error {
  override readonly name = 'SettingsError';
  constructor(
    readonly missing: string[],
    readonly invalid: { key: string; problem: string }[],
  ) {
    const parts: string[] = [];
    if (missing.length) parts.push(`missing required settings: ${missing.join(', ')}`);
    if (invalid.length) parts.push(`invalid settings: ${invalid.map((i) => `${i.key} (${i.problem})`).join('; ')}`);
    super(`${parts.join('; ')}. Set them as env vars, SSM parameters under SSM_PREFIX, or rows of the settings table.`);
  }
}

const isLoopback = (url: string) => {
  try {
    const host = new URL(url).hostname;
    return isLoopbackHost(host) || host.endsWith('.localhost');
  } catch {
    return false;
  }
};

/** The placeholder values of .env.example (`replace-with-…`, `youraccount.webim.ru`). */
const PLACEHOLDER = /replace[-_]with|\/\/youraccount\.webim\.ru/i;

/**
 * Validates merged raw values (strings) into typed settings.
 * Missing required keys and invalid values are all reported together in one SettingsError.
 */
export function parseSettings(raw: Record<string, string | undefined>): Settings {
  const shape = settingsSchema.shape;
  const missing = SETTING_NAMES.filter((key) => raw[key] === undefined && !shape[key].safeParse(undefined).success);
  const invalid: { key: string; problem: string }[] = [];
  const result = settingsSchema.safeParse(raw, PLAIN_WORDS);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = String(issue.path[0] ?? '');
      // One problem per setting: the first rule it broke.
      if (!(missing as string[]).includes(key) && !invalid.some((i) => i.key === key)) invalid.push({ key, problem: describeIssue(issue) });
    }
  }
  // The placeholders of .env.example are not settings: say so instead of letting them fail upstream.
  for (const [key, value] of Object.entries(raw)) {
    if (
      typeof value === 'string' &&
      PLACEHOLDER.test(value) &&
      (SETTING_NAMES as string[]).includes(key) &&
      !invalid.some((i) => i.key === key)
    ) {
      invalid.push({ key, problem: 'is still the placeholder of .env.example: put the real value there' });
    }
  }
  if (missing.length || invalid.length || !result.success) throw new SettingsError(missing, invalid);
  const settings = result.data;
  // A reply may wait in the queue, then hold its chat's order, this long; its delivery record
  // (claim) must outlive that with room to spare, or the purge could let it be sent twice.
  const longestWait = settings.QUEUE_MAX_AGE_SECONDS + settings.ORDER_HOLD_SECONDS;
  if (longestWait * 2 > settings.CLAIM_RETENTION_HOURS * 3600) {
    throw new SettingsError(
      [],
      [
        {
          key: 'QUEUE_MAX_AGE_SECONDS',
          problem: `together with ORDER_HOLD_SECONDS must stay within half of CLAIM_RETENTION_HOURS (${(settings.CLAIM_RETENTION_HOURS * 3600) / 2} s): a waiting reply must keep its delivery record, or it can be sent twice; lower it or raise CLAIM_RETENTION_HOURS`,
        },
      ],
    );
  }
  settings.PUBLIC_BASE_URL ??= settings.HTTP_API_URL;
  settings.FILE_LINK_BASE_URL ??= settings.PUBLIC_BASE_URL;
  if (!settings.ALLOW_INSECURE_HTTP) {
    for (const key of ['TELEGRAM_API_BASE', 'WEBIM_API_URL', 'PUBLIC_BASE_URL', 'FILE_LINK_BASE_URL'] as const) {
      const url = settings[key];
      if (url?.startsWith('http:') && !isLoopback(url)) {
        invalid.push({ key, problem: 'must use https (plain http is only allowed for loopback hosts)' });
      }
    }
    if (invalid.length) throw new SettingsError([], invalid);
  }
  return settings;
}
