import { derived, type Random } from './prng';

/**
 * The chaos run's plan, drawn from its seed before anything starts: every user message, operator
 * reply, unauthenticated probe and fault episode with its time (ms after the start). The same
 * seed and options give the same plan; only the wall clock makes a replay approximate (which
 * request a fault window meets depends on timing).
 */
export interface PlanOptions {
  seed: number;
  durationMs: number;
  chats: number;
  /** Mean gap between two messages of one chat, per direction. */
  meanGapMs: number;
  /** Mean gap between two fault episodes. */
  faultGapMs: number;
}

/** How Webim posts a callback: once (a non-2xx is its own loss), until a 2xx, or twice at once and again later. */
export type SenderMode = 'once' | 'retried' | 'duplicated';

export type Fault =
  | { kind: 'db_cut' }
  | { kind: 'db_stall'; ms: number }
  | { kind: 'telegram_5xx'; ms: number; p: number }
  | { kind: 'telegram_429'; ms: number; p: number; retryAfter: number }
  | { kind: 'telegram_hang'; ms: number; p: number }
  | { kind: 'telegram_reset'; ms: number; p: number }
  | { kind: 'telegram_answer_lost'; ms: number; p: number }
  | { kind: 'user_blocks_bot'; ms: number; chat: number }
  | { kind: 'webim_5xx'; ms: number; p: number }
  | { kind: 'webim_hang'; ms: number; p: number }
  | { kind: 'webim_answer_lost'; ms: number; p: number }
  | { kind: 'consumer_killed' };

export type TimedFault = Fault & { at: number };

/** One update a chat's user side sends: a text, or the user blocking / unblocking the bot. */
export type UserUpdate =
  | { at: number; chat: number; kind: 'text'; seq: number; updateId: number; messageId: number; text: string }
  | { at: number; chat: number; kind: 'kicked' | 'member'; updateId: number };

export interface OperatorReply {
  at: number;
  chat: number;
  seq: number;
  mode: SenderMode;
  /** Longer than one Telegram message: sent in parts. */
  long: boolean;
  /** For `duplicated`: the later repost, this long after the first 2xx. */
  repostAfterMs: number;
  text: string;
}

export type ProbeKind = 'telegram_no_secret' | 'telegram_wrong_secret' | 'webim_no_auth' | 'webim_wrong_token' | 'webim_wrong_path_secret';

export interface Probe {
  at: number;
  kind: ProbeKind;
}

export interface Plan {
  options: PlanOptions;
  faults: TimedFault[];
  /** Per chat, in the order they are sent. */
  updates: UserUpdate[][];
  /** Per chat, in the operator's order. */
  replies: OperatorReply[][];
  probes: Probe[];
  /** Per chat: when its user blocks the bot, [from, to) in ms after the start. */
  blocks: [number, number][][];
}

/** Faults begin after the first messages made every chat known, and end with the workload. */
export const FAULTS_FROM_MS = 3_000;
/** The marker that starts every text of the run: a scan for it finds a text wherever it leaked. */
export const MARKER = 'XQJ';
const WORDS = ['order', 'parcel', 'refund', 'please', 'check', 'status', 'thanks', 'when', 'address', 'invoice', 'hello', 'today'];
const PROBES: ProbeKind[] = [
  'telegram_no_secret',
  'telegram_wrong_secret',
  'webim_no_auth',
  'webim_wrong_token',
  'webim_wrong_path_secret',
];

/** The text of message `seq` of `chat`; the marker and ids come first, so the head of a split text carries them. */
export function textOf(direction: 'u' | 'o', chat: number, seq: number, random: Random, long = false): string {
  const words = Array.from({ length: random.int(2, 8) }, () => random.pick(WORDS)).join(' ');
  const head = `${MARKER}${direction}-${chat}-${seq} ${words}`;
  if (!long) return head;
  // Past Telegram's 4096 characters: the bridge sends it in parts; the tail marker ends the last.
  const filler = Array.from({ length: random.int(700, 1000) }, () => random.pick(WORDS)).join(' ');
  return `${head} ${filler} ${MARKER}${direction}-${chat}-${seq}-tail`;
}

function fault(random: Random, chats: number): Fault {
  const window = () => random.int(1_000, 8_000);
  const p = () => 0.2 + random.next() * 0.6;
  const kinds: [Fault['kind'], number][] = [
    ['db_cut', 1],
    ['db_stall', 1.5],
    ['telegram_5xx', 2],
    ['telegram_429', 1.5],
    ['telegram_hang', 1],
    ['telegram_reset', 1],
    ['telegram_answer_lost', 0.7],
    ['user_blocks_bot', 1.5],
    ['webim_5xx', 2],
    ['webim_hang', 1],
    ['webim_answer_lost', 0.7],
    ['consumer_killed', 1.5],
  ];
  let roll = random.next() * kinds.reduce((sum, [, w]) => sum + w, 0);
  let kind = kinds[0]?.[0] as Fault['kind'];
  for (const [k, w] of kinds) {
    kind = k;
    roll -= w;
    if (roll < 0) break;
  }
  switch (kind) {
    case 'db_cut':
    case 'consumer_killed':
      return { kind };
    case 'db_stall':
      // Some shorter than a statement's timeout, some longer (the connection is replaced then).
      return { kind, ms: random.int(500, 12_000) };
    case 'telegram_429':
      // Mostly a wait the invocation can afford, sometimes one longer than it (the reply queues).
      return { kind, ms: window(), p: p(), retryAfter: random.pick([1, 1, 2, 3, 5, 30]) };
    case 'user_blocks_bot':
      return { kind, ms: random.int(3_000, 20_000), chat: random.int(0, chats - 1) };
    default:
      return { kind, ms: window(), p: p() };
  }
}

/** Draws the whole run from its seed. */
export function makePlan(options: PlanOptions): Plan {
  const { durationMs, chats } = options;
  const faultRandom = derived(options.seed, 1);
  const faults: TimedFault[] = [];
  const blocks: [number, number][][] = Array.from({ length: chats }, () => []);
  for (let at = FAULTS_FROM_MS + faultRandom.gap(options.faultGapMs); at < durationMs; at += faultRandom.gap(options.faultGapMs)) {
    const f = fault(faultRandom, chats);
    if (f.kind === 'user_blocks_bot') {
      const own = blocks[f.chat] as [number, number][];
      const last = own[own.length - 1];
      if (last && last[1] > at) continue; // one block at a time per chat
      own.push([Math.round(at), Math.round(Math.min(at + f.ms, durationMs))]);
    }
    faults.push({ ...f, at: Math.round(at) });
  }

  const updates: UserUpdate[][] = [];
  const replies: OperatorReply[][] = [];
  for (let chat = 0; chat < chats; chat++) {
    const random = derived(options.seed, 100 + chat);
    const own: UserUpdate[] = [];
    const chatBlocks = blocks[chat] as [number, number][];
    let blockIndex = 0;
    let seq = 0;
    // The first message early, so the chat is known before the faults begin.
    for (let at = random.int(0, 1_500); at < durationMs; at += random.gap(options.meanGapMs)) {
      for (let block = chatBlocks[blockIndex]; block && at >= block[0]; block = chatBlocks[++blockIndex]) {
        // A user who blocked the bot writes nothing until unblocking it.
        own.push({ at: block[0], chat, kind: 'kicked', updateId: 0 });
        own.push({ at: block[1], chat, kind: 'member', updateId: 0 });
        at = Math.max(at, block[1] + 1);
      }
      if (at >= durationMs) break;
      seq++;
      own.push({ at: Math.round(at), chat, kind: 'text', seq, updateId: 0, messageId: seq, text: textOf('u', chat, seq, random) });
    }
    for (const block of chatBlocks.slice(blockIndex)) {
      own.push({ at: block[0], chat, kind: 'kicked', updateId: 0 });
      own.push({ at: block[1], chat, kind: 'member', updateId: 0 });
    }
    updates.push(own);

    const ops: OperatorReply[] = [];
    const first = own.find((u) => u.kind === 'text');
    let opSeq = 0;
    for (let at = (first?.at ?? 0) + 1_000 + random.gap(options.meanGapMs); at < durationMs; ) {
      opSeq++;
      const long = random.chance(0.05);
      const mode: SenderMode = random.chance(0.2) ? 'once' : random.chance(0.25) ? 'duplicated' : 'retried';
      ops.push({
        at: Math.round(at),
        chat,
        seq: opSeq,
        mode,
        long,
        repostAfterMs: random.int(0, 3_000),
        text: textOf('o', chat, opSeq, random, long),
      });
      // Operators often send two or three lines in a row: replies that meet a busy chat.
      at += random.chance(0.3) ? random.int(30, 400) : random.gap(options.meanGapMs);
    }
    replies.push(ops);
  }

  // Update ids grow over the whole bot, in time order (each chat's own order kept).
  const all = updates.flat().sort((a, b) => a.at - b.at || a.chat - b.chat);
  all.forEach((u, i) => {
    u.updateId = 500_000 + i;
  });
  for (const own of updates) own.sort((a, b) => a.updateId - b.updateId);

  const probeRandom = derived(options.seed, 2);
  const probes: Probe[] = [];
  for (let at = probeRandom.gap(1_500); at < durationMs; at += probeRandom.gap(1_500))
    probes.push({ at: Math.round(at), kind: probeRandom.pick(PROBES) });

  return { options, faults, updates, replies, probes, blocks };
}
