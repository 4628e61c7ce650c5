import { describe, expect, it } from 'vitest';
import { checkDirection, type MessageRecord } from '../../chaos/check';
import { FAULTS_FROM_MS, makePlan, type PlanOptions } from '../../chaos/plan';
import { derived, seeded } from '../../chaos/prng';

const options: PlanOptions = { seed: 4242, durationMs: 120_000, chats: 12, meanGapMs: 4_000, faultGapMs: 3_000 };

describe('the chaos run is drawn from its seed', () => {
  it('the same seed gives the same generator sequence and the same plan: faults, messages, modes, probes', () => {
    expect(Array.from({ length: 5 }, seeded(7).next)).toEqual(Array.from({ length: 5 }, seeded(7).next));
    expect(JSON.stringify(makePlan(options))).toBe(JSON.stringify(makePlan({ ...options })));
  });

  it('another seed gives another fault schedule and workload', () => {
    const a = makePlan(options);
    const b = makePlan({ ...options, seed: 4243 });
    expect(JSON.stringify(b.faults)).not.toBe(JSON.stringify(a.faults));
    expect(JSON.stringify(b.updates)).not.toBe(JSON.stringify(a.updates));
    expect(derived(1, 1).next()).not.toBe(derived(1, 2).next());
  });

  it('every kind of fault occurs in a long enough run, inside the workload, after the start-up', () => {
    const plan = makePlan({ ...options, durationMs: 600_000 });
    expect(new Set(plan.faults.map((f) => f.kind))).toEqual(
      new Set([
        'db_cut',
        'db_stall',
        'telegram_5xx',
        'telegram_429',
        'telegram_hang',
        'telegram_reset',
        'telegram_answer_lost',
        'user_blocks_bot',
        'webim_5xx',
        'webim_hang',
        'webim_answer_lost',
        'consumer_killed',
      ]),
    );
    for (const f of plan.faults) expect(f.at >= FAULTS_FROM_MS && f.at < 600_000).toBe(true);
    const modes = new Set(plan.replies.flat().map((r) => r.mode));
    expect(modes).toEqual(new Set(['once', 'retried', 'duplicated']));
  });

  it("each chat's updates have growing update ids; a blocked user writes nothing until unblocking", () => {
    const plan = makePlan(options);
    for (const [chat, own] of plan.updates.entries()) {
      const ids = own.map((u) => u.updateId);
      expect(ids).toEqual([...ids].sort((x, y) => x - y));
      expect(own[0]?.kind).toBe('text');
      for (const [from, to] of plan.blocks[chat] ?? []) {
        expect(own.some((u) => u.kind === 'text' && u.at >= from && u.at < to)).toBe(false);
        expect(own.filter((u) => u.kind === 'kicked' && u.at === from)).toHaveLength(1);
      }
    }
  });
});

const record = (seq: number, extra: Partial<MessageRecord> = {}): MessageRecord => ({
  key: `o-0-${seq}`,
  direction: 'webim_to_telegram',
  chat: 0,
  seq,
  long: false,
  id: `op-0-${seq}`,
  posts: 1,
  statuses: { 200: 1 },
  refused: false,
  deliveries: [],
  tails: 0,
  answersLost: 0,
  notes: 0,
  trail: [],
  firstPostAt: seq * 10,
  firstPostTick: seq * 10,
  acceptedAt: seq * 10 + 1,
  acceptedTick: seq * 10 + 1,
  ...extra,
});
const at = (tick: number) => ({ at: tick, tick });

describe('the invariants, from what the fakes received', () => {
  it('counts lost, doubled and out of order; a repeat after a lost answer and a blocked user are allowed', () => {
    const records = [
      record(1, { deliveries: [at(50)] }),
      record(2, { deliveries: [at(40)] }), // overtook 1, which was accepted before 2 was posted
      record(3), // accepted, never delivered
      record(4, { deliveries: [at(60), at(70)] }), // twice, no answer lost
      record(5, { deliveries: [at(80), at(90)], answersLost: 1 }), // twice after a lost answer
      record(6, { notes: 1 }), // a blocked user: ended as a note
      record(7, { acceptedAt: undefined, acceptedTick: undefined, refused: true, mode: 'once' }),
    ];
    const { summary, findings } = checkDirection('webim_to_telegram', records, new Map([[0, [{ from: 0, unblockedAt: 100 }]]]));
    expect(summary).toMatchObject({
      sent: 7,
      accepted: 6,
      refusedToNonRetryingSender: 1,
      delivered: 4,
      lost: 1,
      doubled: 1,
      outOfOrder: 1,
      ambiguousRepeats: 1,
      endedBlocked: 1,
    });
    expect(findings.map((f) => `${f.invariant} ${f.key}`).sort()).toEqual(['doubled o-0-4', 'lost o-0-3', 'out_of_order o-0-2']);
  });

  it('a repeat after an attempt the bridge itself logged as ambiguous is allowed too', () => {
    const { summary } = checkDirection('webim_to_telegram', [record(1, { deliveries: [at(5), at(9)], ambiguousLogged: 1 })], new Map());
    expect(summary).toMatchObject({ doubled: 0, ambiguousRepeats: 1 });
  });

  it('a note about a reply to a user who never blocked the bot is a loss', () => {
    const { summary } = checkDirection('webim_to_telegram', [record(1, { notes: 1 })], new Map());
    expect(summary.lost).toBe(1);
  });

  it('overlapping posts are not ordered: the one posted later may arrive first', () => {
    const records = [
      record(1, { acceptedTick: 25, deliveries: [at(50)] }), // its 2xx came after 2 was posted (tick 20)
      record(2, { deliveries: [at(40)] }),
    ];
    expect(checkDirection('webim_to_telegram', records, new Map()).summary.outOfOrder).toBe(0);
  });
});
