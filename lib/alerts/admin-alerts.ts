import type { Deadline } from '../core/deadline';
import type { DeliveryFailure } from '../core/failure';
import type { Database } from '../db/database';
import type { Direction } from '../db/delivery-stats';
import type { AdminWords, Language } from '../i18n/catalogue';
import type { Logger } from '../log';
import { adminWordsOf } from '../settings/texts';
import type { TelegramClient } from '../telegram/client';

/** Ids of the message an alert is about — never its text. */
export interface MessageIds {
  chatId?: number;
  visitorId?: string;
  messageId?: string;
}

export interface AlertSettings {
  ADMIN_CHAT_ID?: number;
  /** The admin chat reads the desk's language. */
  DESK_LANGUAGE: Language;
  ALERT_AFTER_SECONDS: number;
  ALERT_INTERVAL_SECONDS: number;
}

/** An alert is sent only with at least this much of the invocation left, and waits at most this long. */
const ALERT_TIMEOUT_MS = 2_000;
const ROUTES: Record<Direction, string> = { telegram_to_webim: 'Telegram → Webim', webim_to_telegram: 'Webim → Telegram' };

/**
 * Short alerts to the admin chat through the bridge's own bot: a message that could not
 * be delivered, an upstream failing for longer than ALERT_AFTER_SECONDS, a configuration error.
 *
 * Invariants: an alert carries ids, reasons and counts, never a message text or a secret; at most
 * one alert per reason per ALERT_INTERVAL_SECONDS, the next one saying how many were held back;
 * state is written only when something goes wrong; an alert that cannot be sent is logged and
 * never changes the relay's answer (this class never throws).
 */
export class AdminAlerts {
  /** Failure streaks of the database itself, kept in memory: it cannot record its own outage. */
  private static readonly memory = new Map<string, { since: number; last: number; sentAt: number; suppressed: number }>();

  constructor(
    private readonly deps: { settings: AlertSettings; db: Database; telegram: TelegramClient; log: Logger; deadline: Deadline },
  ) {}

  private get words(): AdminWords {
    return adminWordsOf(this.deps.settings);
  }

  /** Reacts to a classified failure of one message. */
  async failure(direction: Direction, failure: DeliveryFailure, ids: MessageIds): Promise<void> {
    if (this.deps.settings.ADMIN_CHAT_ID === undefined) return;
    try {
      if (failure.kind === 'permanent') {
        await this.send(
          `undelivered:${failure.reason}`,
          this.words.undelivered(ROUTES[direction], describeIds(this.words, ids), failure.reason),
        );
      } else if (failure.kind === 'configuration' && failure.upstream === 'database') {
        // The database refuses us: it cannot hold the alert's rate limit either.
        await this.sendFromMemory(`configuration:${failure.reason}`, this.words.databaseRefuses(failure.reason));
      } else if (failure.kind === 'configuration') {
        await this.send(`configuration:${failure.reason}`, this.words.configurationError(failure.reason, failure.upstream));
      } else if (failure.kind === 'transient') {
        await this.failing(failure.upstream, failure.reason);
      }
    } catch (error) {
      this.deps.log.warn('alert_failed', { error });
    }
  }

  /**
   * A connected Telegram Business account was lost (disconnected or disabled) or no longer lets
   * the bot reply. The caller reports each change once (it is decided in the database); the usual
   * rate limit applies per connection.
   */
  async businessConnection(change: 'lost' | 'cannot_reply', account: string, connectionId: string): Promise<void> {
    if (this.deps.settings.ADMIN_CHAT_ID === undefined) return;
    try {
      const words = this.words;
      await this.send(
        `business:${change}:${connectionId}`,
        change === 'lost' ? words.businessLost(account) : words.businessCannotReply(account),
      );
    } catch (error) {
      this.deps.log.warn('alert_failed', { error });
    }
  }

  /** Reports an upstream that has kept failing for longer than ALERT_AFTER_SECONDS. */
  private async failing(upstream: string, reason: string): Promise<void> {
    const { ALERT_AFTER_SECONDS: after } = this.deps.settings;
    let failingForSeconds: number;
    if (upstream === 'database') {
      const now = Date.now();
      const streak = AdminAlerts.memory.get('failing:database');
      const fresh = !streak || now - streak.last > after * 1000;
      const next = fresh
        ? { since: now, last: now, sentAt: streak?.sentAt ?? 0, suppressed: streak?.suppressed ?? 0 }
        : { ...streak, last: now };
      AdminAlerts.memory.set('failing:database', next);
      failingForSeconds = (now - next.since) / 1000;
      if (failingForSeconds < after) return;
      const interval = this.deps.settings.ALERT_INTERVAL_SECONDS * 1000;
      if (now - next.sentAt < interval) {
        next.suppressed++;
        return;
      }
      const held = next.suppressed;
      Object.assign(next, { sentAt: now, suppressed: 0 });
      await this.post(
        `${this.words.databaseUnreachable(durationOf(this.words, failingForSeconds), reason)}${heldBack(this.words, held)}`,
        'failing:database',
      );
      return;
    }
    const [row] = await this.deps.db.query(
      (sql) => sql<{ failing_for: number }[]>`
        INSERT INTO alert_state AS a (reason, failing_since, last_failure_at) VALUES (${`failing:${upstream}`}, now(), now())
        ON CONFLICT (reason) DO UPDATE SET
          failing_since = CASE WHEN a.failing_since IS NULL OR a.last_failure_at < now() - make_interval(secs => ${after}) THEN now() ELSE a.failing_since END,
          last_failure_at = now()
        RETURNING extract(epoch FROM now() - failing_since)::float8 AS failing_for`,
      { timeoutMs: ALERT_TIMEOUT_MS },
    );
    failingForSeconds = row?.failing_for ?? 0;
    if (failingForSeconds < after) return;
    const duration = durationOf(this.words, failingForSeconds);
    await this.send(
      `failing:${upstream}:notified`,
      upstream === 'telegram' && reason === 'rate_limited'
        ? this.words.rateLimited(duration, reason)
        : this.words.upstreamFailing(upstream === 'webim' ? 'Webim' : 'Telegram', duration, reason),
    );
  }

  /** As `send`, rate-limited in this container's memory (for when the database is the trouble). */
  private async sendFromMemory(key: string, text: string): Promise<void> {
    const now = Date.now();
    const state = AdminAlerts.memory.get(key) ?? { since: now, last: now, sentAt: 0, suppressed: 0 };
    AdminAlerts.memory.set(key, state);
    if (now - state.sentAt < this.deps.settings.ALERT_INTERVAL_SECONDS * 1000) {
      state.suppressed++;
      this.deps.log.info('alert_suppressed', { alert: key });
      return;
    }
    const held = state.suppressed;
    Object.assign(state, { sentAt: now, suppressed: 0 });
    await this.post(`${text}${heldBack(this.words, held)}`, key);
  }

  /** Sends an alert unless one with the same key went out within ALERT_INTERVAL_SECONDS. */
  private async send(key: string, text: string): Promise<void> {
    const interval = this.deps.settings.ALERT_INTERVAL_SECONDS;
    const [row] = await this.deps.db.query(
      (sql) => sql<{ due: boolean; reported: number }[]>`
        INSERT INTO alert_state AS a (reason, last_sent_at) VALUES (${key}, now())
        ON CONFLICT (reason) DO UPDATE SET
          reported = CASE WHEN a.last_sent_at IS NULL OR a.last_sent_at <= now() - make_interval(secs => ${interval}) THEN a.suppressed ELSE a.reported END,
          suppressed = CASE WHEN a.last_sent_at IS NULL OR a.last_sent_at <= now() - make_interval(secs => ${interval}) THEN 0 ELSE a.suppressed + 1 END,
          last_sent_at = CASE WHEN a.last_sent_at IS NULL OR a.last_sent_at <= now() - make_interval(secs => ${interval}) THEN now() ELSE a.last_sent_at END
        RETURNING last_sent_at = now() AS due, reported`,
      { timeoutMs: ALERT_TIMEOUT_MS },
    );
    if (!row?.due) {
      this.deps.log.info('alert_suppressed', { alert: key });
      return;
    }
    await this.post(`${text}${heldBack(this.words, row.reported)}`, key);
  }

  private async post(text: string, key: string): Promise<void> {
    const chatId = this.deps.settings.ADMIN_CHAT_ID;
    const budget = Math.min(ALERT_TIMEOUT_MS, this.deps.deadline.remaining() - 500);
    if (chatId === undefined || budget < 250) {
      this.deps.log.warn('alert_failed', { alert: key, reason: 'no_time_left' });
      return;
    }
    await this.deps.telegram.sendMessage(chatId, text, budget);
    this.deps.log.info('alert_sent', { alert: key });
  }
}

const describeIds = (words: AdminWords, ids: MessageIds) =>
  [
    ids.chatId !== undefined ? words.chatId(String(ids.chatId)) : '',
    ids.visitorId ? words.visitorId(ids.visitorId) : '',
    ids.messageId ? words.messageId(ids.messageId) : '',
  ]
    .filter(Boolean)
    .join(', ') || words.noIds;

const durationOf = (words: AdminWords, seconds: number) =>
  seconds < 120 ? words.seconds(Math.round(seconds)) : words.minutes(Math.round(seconds / 60));
const heldBack = (words: AdminWords, n: number) => (n > 0 ? words.heldBack(n) : '');
