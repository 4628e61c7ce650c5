import type { SenderMode } from './plan';

export type Direction = 'telegram_to_webim' | 'webim_to_telegram';

/**
 * What the run saw of one message, from its sender and from the fake that received it. Times are
 * ms after the start; `tick`s come from one counter of the run, so "before" is exact.
 */
export interface MessageRecord {
  key: string;
  direction: Direction;
  chat: number;
  seq: number;
  mode?: SenderMode;
  long: boolean;
  /** Telegram's update id, or the Webim message id. */
  id: string;
  firstPostAt?: number;
  firstPostTick?: number;
  acceptedAt?: number;
  acceptedTick?: number;
  posts: number;
  statuses: Record<string, number>;
  /** A `once` sender got no 2xx: the sender keeps it, not the bridge's loss. */
  refused: boolean;
  /** Each time the head of the text reached the other side. */
  deliveries: { at: number; tick: number; answerLost?: boolean; post?: number }[];
  /** Each time the last part of a split text arrived. */
  tails: number;
  /** Deliveries whose answer the fake deliberately lost (the ambiguous send). */
  answersLost: number;
  /**
   * Attempts the bridge itself logged as ambiguous (a timeout or reset after the call was sent):
   * in one process under load the bridge's timer can fire before a delivered answer is read, so
   * a repeat after one is the documented exception too, even if the fake lost nothing.
   */
  ambiguousLogged?: number;
  /** Operator notes (`for_operator`) about this reply. */
  notes: number;
  /** The reason of a `message_not_delivered` log line about it. */
  notDelivered?: string;
  /** The bridge's last log events about it (route:event(reason)), to say which path it took. */
  trail: string[];
}

export interface DirectionSummary {
  sent: number;
  accepted: number;
  refusedToNonRetryingSender: number;
  neverAccepted: number;
  delivered: number;
  lost: number;
  doubled: number;
  outOfOrder: number;
  /** Repeats explained by an answer the fake lost after delivering (documented: may be seen twice). */
  ambiguousRepeats: number;
  /**
   * Of the doubled: sent again inside the same request after its answer was lost (a Telegram
   * update delivered twice to Webim while the sender posted it once). The documented exception
   * is a repeat by a later delivery attempt only. Known for Telegram → Webim, whose sender's
   * posts are counted; a repeat in the other direction is judged by the lost answers alone.
   */
  resentWithinOneRequest: number;
  /** Replies to a user who blocked the bot that ended as an operator note or a logged outcome. */
  endedBlocked: number;
  latencyMs: { p50: number; p99: number; max: number };
}

export interface Finding {
  invariant: 'lost' | 'doubled' | 'out_of_order' | 'never_accepted';
  direction: Direction;
  key: string;
  detail: string;
}

const percentile = (sorted: number[], q: number) =>
  sorted.length ? (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number) : 0;

/**
 * When a chat's user had blocked the bot: from the block's start until the bridge accepted the
 * update that unblocked it (undefined: never). A reply may end as a note only if one of these
 * reaches past the moment it was first posted.
 */
export type BlockSpans = Map<number, { from: number; unblockedAt?: number }[]>;

/**
 * Checks the invariants of one direction:
 * - lost: accepted (a 2xx reached the sender) and never delivered, unless it was a reply to a
 *   user who had blocked the bot that ended as a note or a logged outcome;
 * - doubled: delivered more often than once plus the answers the fake lost after delivering;
 * - out of order: b reached the other side before a, although a's sender had its 2xx before b
 *   was first posted (for Telegram, whose sender posts one update at a time, that is every
 *   earlier update of the chat; for Webim, whose callbacks of one chat may overlap, only what
 *   the bridge could know to be earlier);
 * - never accepted: a retrying sender still had no 2xx when the run ended.
 */
export function checkDirection(
  direction: Direction,
  records: MessageRecord[],
  blocks: BlockSpans,
): { summary: DirectionSummary; findings: Finding[] } {
  const findings: Finding[] = [];
  const own = records.filter((r) => r.direction === direction && r.posts > 0);
  const summary: DirectionSummary = {
    sent: own.length,
    accepted: 0,
    refusedToNonRetryingSender: 0,
    neverAccepted: 0,
    delivered: 0,
    lost: 0,
    doubled: 0,
    outOfOrder: 0,
    ambiguousRepeats: 0,
    resentWithinOneRequest: 0,
    endedBlocked: 0,
    latencyMs: { p50: 0, p99: 0, max: 0 },
  };
  const latencies: number[] = [];
  const describe = (r: MessageRecord) =>
    `id ${r.id}, chat ${r.chat}, ${r.mode ?? 'telegram'} sender, posts ${r.posts} (${Object.entries(r.statuses)
      .map(([s, n]) => `${s}×${n}`)
      .join(' ')}), delivered ${r.deliveries.length}${r.long ? ` (tail ${r.tails})` : ''}, answers lost ${r.answersLost}, notes ${r.notes}${
      r.notDelivered ? `, logged not delivered: ${r.notDelivered}` : ''
    }; path: ${r.trail.join(' > ') || '-'}`;

  for (const r of own) {
    if (r.acceptedTick !== undefined) summary.accepted++;
    else if (r.refused) summary.refusedToNonRetryingSender++;
    else {
      summary.neverAccepted++;
      findings.push({ invariant: 'never_accepted', direction, key: r.key, detail: describe(r) });
    }
    const heads = r.deliveries.length;
    const complete = heads > 0 && (!r.long || r.tails > 0);
    if (complete) {
      summary.delivered++;
      const first = r.deliveries[0];
      if (first && r.firstPostAt !== undefined) latencies.push(first.at - r.firstPostAt);
    }
    const repeats = Math.max(heads, r.long ? r.tails : 0) - 1;
    // A delivery right behind one whose answer was lost, within the same post of the sender.
    const resent = r.deliveries.filter(
      (d, i) => i > 0 && d.post !== undefined && r.deliveries[i - 1]?.answerLost && r.deliveries[i - 1]?.post === d.post,
    ).length;
    summary.resentWithinOneRequest += resent;
    if (repeats > 0) {
      const excused = Math.min(repeats - resent, Math.max(r.answersLost, r.ambiguousLogged ?? 0));
      summary.ambiguousRepeats += excused;
      if (repeats > excused) {
        summary.doubled++;
        findings.push({ invariant: 'doubled', direction, key: r.key, detail: describe(r) });
      }
    }
    if (r.acceptedTick === undefined || complete) continue;
    const blockedNote = r.notes > 0 || r.notDelivered === 'blocked_by_user';
    const spans = blocks.get(r.chat) ?? [];
    const wasBlocked = spans.some((s) => (s.unblockedAt ?? Infinity) + 1_000 >= (r.firstPostAt ?? 0));
    if (direction === 'webim_to_telegram' && blockedNote && wasBlocked) {
      summary.endedBlocked++;
      continue;
    }
    summary.lost++;
    findings.push({ invariant: 'lost', direction, key: r.key, detail: describe(r) });
  }

  // Order, per chat: every pair the sender ordered (a's 2xx before b's first post).
  const byChat = new Map<number, MessageRecord[]>();
  for (const r of own) if (r.acceptedTick !== undefined && r.deliveries.length) byChat.set(r.chat, [...(byChat.get(r.chat) ?? []), r]);
  for (const chat of byChat.values()) {
    for (const b of chat) {
      const bFirst = (b.deliveries[0] as { tick: number }).tick;
      const overtaken = chat.filter(
        (a) => a !== b && (a.acceptedTick as number) < (b.firstPostTick as number) && (a.deliveries[0] as { tick: number }).tick > bFirst,
      );
      if (overtaken.length) {
        summary.outOfOrder++;
        findings.push({
          invariant: 'out_of_order',
          direction,
          key: b.key,
          detail: `delivered before ${overtaken.map((a) => a.id).join(', ')} (accepted before it was posted). It: ${describe(b)}. First overtaken: ${describe(overtaken[0] as MessageRecord)}`,
        });
      }
    }
  }

  latencies.sort((x, y) => x - y);
  summary.latencyMs = {
    p50: Math.round(percentile(latencies, 0.5)),
    p99: Math.round(percentile(latencies, 0.99)),
    max: Math.round(latencies[latencies.length - 1] ?? 0),
  };
  return { summary, findings };
}
