import type { Database } from '../db/database';
import { type Direction, readStats, STAT_OUTCOMES, type StatOutcome, type StatsRow } from '../db/delivery-stats';
import { type RatingStatsRow, readRatingStats } from '../db/feedback';

export interface StatsWindow {
  label: string;
  hours: number;
  /** Counts per direction and outcome. */
  counts: Record<Direction, Record<StatOutcome, number>>;
  total: number;
}

/** Ratings users gave when a chat was closed: counts per score (1–5) and the mean, numbers only. */
export interface RatingSummary {
  /** A UTC day (`YYYY-MM-DD`), or the label of the whole window. */
  label: string;
  /** Ratings per score, index 0 = score 1 … index 4 = score 5. */
  byScore: number[];
  count: number;
  /** The mean score, 1–5 (null when nobody rated). */
  average: number | null;
}

export interface StatsReport {
  /** The last 7 days as a whole, then each day that has ratings, oldest first. */
  ratings: { week: RatingSummary; days: RatingSummary[] };
  windows: StatsWindow[];
  /** Messages per hour over the last 24 hours, oldest first (both directions, every outcome). */
  hourly: { hour: string; telegram_to_webim: number; webim_to_telegram: number }[];
  lines: string[];
}

const DIRECTIONS: Direction[] = ['telegram_to_webim', 'webim_to_telegram'];
const LABEL: Record<Direction, string> = { telegram_to_webim: 'Telegram → Webim', webim_to_telegram: 'Webim → Telegram' };
const BARS = '▁▂▃▄▅▆▇█';
const HOUR = 3_600_000;

const empty = (): Record<Direction, Record<StatOutcome, number>> =>
  Object.fromEntries(DIRECTIONS.map((d) => [d, Object.fromEntries(STAT_OUTCOMES.map((o) => [o, 0]))])) as Record<
    Direction,
    Record<StatOutcome, number>
  >;

/** The delivery statistics of the last 24 hours and 7 days, as numbers and as printable lines. */
export async function statsReport(db: Database, now = new Date()): Promise<StatsReport> {
  const since = new Date(now.getTime() - 7 * 24 * HOUR);
  const [rows, ratingRows] = await Promise.all([readStats(db, since), readRatingStats(db, new Date(now.getTime() - 6 * 24 * HOUR))]);
  const report = buildStatsReport(rows, now);
  const ratings = buildRatings(ratingRows);
  return { ...report, ratings, lines: [...report.lines, ...formatRatings(ratings)] };
}

function summary(label: string, rows: RatingStatsRow[]): RatingSummary {
  const byScore = [0, 0, 0, 0, 0];
  for (const r of rows) byScore[r.score - 1] = (byScore[r.score - 1] ?? 0) + r.count;
  const count = byScore.reduce((a, n) => a + n, 0);
  const sum = byScore.reduce((a, n, i) => a + n * (i + 1), 0);
  return { label, byScore, count, average: count ? Math.round((sum / count) * 100) / 100 : null };
}

function buildRatings(rows: RatingStatsRow[]): StatsReport['ratings'] {
  const days = [...new Set(rows.map((r) => r.day))].sort();
  return {
    week: summary('last 7 days', rows),
    days: days.map((day) =>
      summary(
        day,
        rows.filter((r) => r.day === day),
      ),
    ),
  };
}

function formatRatings({ week, days }: StatsReport['ratings']): string[] {
  const line = (s: RatingSummary) =>
    `${s.count} rating(s)${s.average === null ? '' : `, average ${s.average.toFixed(1)} of 5`}${
      s.count ? `  (${s.byScore.map((n, i) => `${i + 1}⭐ ${n}`).join(', ')})` : ''
    }`;
  return [`ratings, ${week.label}: ${line(week)}`, ...days.map((d) => `  ${d.label}  ${line(d)}`)];
}

function buildStatsReport(rows: StatsRow[], now: Date): Omit<StatsReport, 'ratings'> {
  const windows = [
    { label: 'last 24 hours', hours: 24 },
    { label: 'last 7 days', hours: 7 * 24 },
  ].map(({ label, hours }) => {
    const from = Math.floor(now.getTime() / HOUR) * HOUR - (hours - 1) * HOUR;
    const counts = empty();
    let total = 0;
    for (const r of rows) {
      if (r.hour.getTime() < from) continue;
      counts[r.direction][r.outcome] += r.count;
      total += r.count;
    }
    return { label, hours, counts, total };
  });
  const current = Math.floor(now.getTime() / HOUR) * HOUR;
  const hourly = Array.from({ length: 24 }, (_, i) => {
    const start = current - (23 - i) * HOUR;
    const at = rows.filter((r) => r.hour.getTime() === start);
    const sum = (d: Direction) => at.filter((r) => r.direction === d).reduce((a, r) => a + r.count, 0);
    return {
      hour: new Date(start).toISOString(),
      telegram_to_webim: sum('telegram_to_webim'),
      webim_to_telegram: sum('webim_to_telegram'),
    };
  });
  return { windows, hourly, lines: formatStats(windows, hourly) };
}

function formatStats(windows: StatsWindow[], hourly: StatsReport['hourly']): string[] {
  const lines: string[] = [];
  for (const w of windows) {
    lines.push(`${w.label}: ${w.total} message(s)`);
    for (const d of DIRECTIONS) {
      const total = STAT_OUTCOMES.reduce((a, o) => a + w.counts[d][o], 0);
      const parts = STAT_OUTCOMES.filter((o) => w.counts[d][o] > 0).map(
        (o) => `${o} ${w.counts[d][o]} (${percent(w.counts[d][o], total)})`,
      );
      lines.push(`  ${LABEL[d].padEnd(17)} ${String(total).padStart(6)}  ${parts.join(', ') || '—'}`);
    }
  }
  const totals = hourly.map((h) => h.telegram_to_webim + h.webim_to_telegram);
  const max = Math.max(...totals, 0);
  lines.push(
    `per hour, last 24 h (max ${max}): ${totals.map((n) => (max ? BARS[Math.min(7, Math.floor((n / max) * 7.999))] : BARS[0])).join('')}`,
  );
  return lines;
}

const percent = (n: number, total: number) => (total ? `${((n / total) * 100).toFixed(n === total ? 0 : 1)}%` : '0%');
