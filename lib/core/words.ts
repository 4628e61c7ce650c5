/**
 * The shared words of the bridge, imported by every layer: which way a message goes and how its
 * delivery ended, as the statistics and the metrics count them.
 */

export type Direction = 'telegram_to_webim' | 'webim_to_telegram';

export const STAT_OUTCOMES = ['relayed', 'duplicate', 'deferred', 'failed', 'blocked', 'ignored', 'configuration_error'] as const;
export type StatOutcome = (typeof STAT_OUTCOMES)[number];

/** Outcome counts not yet written: [direction, outcome, count]. */
export type StatIncrement = [string, string, number];
