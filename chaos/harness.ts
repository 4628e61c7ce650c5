import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { SQSEvent } from 'aws-lambda';
import { type ChaosUpstreams, startChaosUpstreams, type UpstreamFault } from '../fakes/chaos-upstreams';
import { startTcpProxy, type TcpProxy, throughProxy } from '../fakes/tcp-proxy';
import { createReplyQueueHandler } from '../functions/reply-queue';
import { Runtime } from '../lib/app/runtime';
import { migrate, readMigrations } from '../lib/db/migrate';
import { MemoryReplyQueue } from '../lib/queue/memory';
import { startEmbeddedDatabase } from '../local/embedded-db';
import { createScratchDatabase } from '../local/scratch-database';
import { startLocalServer } from '../local/server';
import { type BlockSpans, checkDirection, type Direction, type DirectionSummary, type Finding, type MessageRecord } from './check';
import { type Fault, MARKER, makePlan, type OperatorReply, type Plan, type PlanOptions, type Probe, type UserUpdate } from './plan';
import { derived } from './prng';

export interface ChaosOptions extends PlanOptions {
  /** A PostgreSQL server to make a fresh database on (the role needs CREATEDB); embedded PGlite without. */
  databaseUrl?: string;
  /** After the workload, how long the run waits at most for everything accepted to arrive. */
  drainMs: number;
  /** Where the bridge's log lines go (ids and outcomes only: the run checks that). */
  logFile?: string;
  /** Progress lines (stderr in the CLI). */
  progress?: (line: string) => void;
}

export interface MemoryFigure {
  rssMb: number;
  heapUsedMb: number;
}

export interface ChaosReport {
  seed: number;
  durationMs: number;
  chats: number;
  database: string;
  directions: Record<Direction, DirectionSummary>;
  findings: Finding[];
  faults: Record<string, number>;
  unauthenticated: { probes: number; fiveHundreds: number; statuses: Record<string, number> };
  privacy: { textInLogLines: number; secretInLogLines: number; textInDatabaseRows: number; tablesScanned: number };
  processErrors: number;
  consumer: { batches: number; killed: number; deadLettered: number; leftInQueue: number };
  memory: { afterWarmUp: MemoryFigure; atEnd: MemoryFigure };
  logLines: number;
  logFile?: string;
  drainedInMs: number;
  ok: boolean;
}

const now = () => performance.now();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));
const TELEGRAM_TIMEOUT_MS = 3_000;
/** A sender gives up waiting for an answer after this long (the bridge answers within 29 s). */
const SENDER_TIMEOUT_MS = 35_000;
/** Telegram-like chat ids: chat i of the run is this plus i. */
const CHAT_BASE = 7_100_000_000;
/** The log events kept per message, to tell which path it took. */
const TRAIL_LENGTH = 14;
const ROUTES: Record<string, string> = { 'webim-callback': 'callback', 'reply-queue': 'queue', 'telegram-webhook': 'webhook' };
interface LogFields {
  event?: string;
  route?: string;
  webim_message_id?: string;
  update_id?: number;
  reason?: string;
  outcome?: string;
  result?: string;
}
/** Reasons the bridge gives for a call that was sent and got no answer (it may have arrived). */
const AMBIGUOUS = /^(ambiguous_|network_timeout$|network_ECONNRESET$)/;
const TEXT_PATTERN = new RegExp(`${MARKER}([uo])-(\\d+)-(\\d+)(-tail)?`, 'g');

/** A garbage collection, when the process lets us ask for one (for a memory figure without floating garbage). */
function collectGarbage(): void {
  try {
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
  } catch {
    // No collection: the figure includes garbage, which only makes it larger.
  }
}

function memory(): MemoryFigure {
  collectGarbage();
  const m = process.memoryUsage();
  return { rssMb: Math.round(m.rss / 1048576), heapUsedMb: Math.round((m.heapUsed / 1048576) * 10) / 10 };
}

async function openDatabase(url: string | undefined): Promise<{ url: string; kind: string; poolMax: number; close(): Promise<void> }> {
  if (!url) {
    const db = await startEmbeddedDatabase();
    return { url: db.url, kind: 'embedded PGlite', poolMax: db.maxConnections, close: () => db.stop() };
  }
  const db = await createScratchDatabase(url, 'bridge_chaos');
  return { url: db.url, kind: `PostgreSQL ${db.serverVersion.split(' ')[0]}`, poolMax: 8, close: () => db.drop() };
}

/** Fault windows in force: each request of an upstream meets the ones active at that moment. */
class FaultState {
  private windows: { kind: Fault['kind']; until: number; p: number; retryAfter?: number; chat?: number }[] = [];
  kills = 0;

  add(f: Fault, at: number): void {
    if ('ms' in f) this.windows.push({ ...f, until: at + f.ms, p: 'p' in f ? f.p : 1 });
  }

  active(kind: Fault['kind'], at: number) {
    this.windows = this.windows.filter((w) => w.until > at);
    return this.windows.filter((w) => w.kind === kind);
  }

  blocked(chat: number, at: number): boolean {
    return this.active('user_blocks_bot', at).some((w) => w.chat === chat);
  }

  clear(): void {
    this.windows = [];
    this.kills = 0;
  }
}

/**
 * The chaos run: the real local server (startLocalServer, the Runtime, the in-process reply queue
 * and its consumer) on a real database behind a TCP proxy, Telegram and Webim as loopback fakes,
 * users and operators as senders that behave like Telegram's and Webim's, and faults from the
 * seed. When the workload ends, the faults end; the run waits for what was accepted to arrive,
 * then checks the invariants from what the fakes received.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const progress = options.progress ?? (() => {});
  const plan: Plan = makePlan(options);
  const live = derived(options.seed, 3); // per-request choices (their order follows the wall clock)
  const secrets = {
    botToken: `7000000002:${randomBytes(26).toString('base64url')}`,
    webhookSecret: randomBytes(24).toString('base64url'),
    webimToken: randomBytes(24).toString('base64url'),
    callbackSecret: randomBytes(24).toString('base64url'),
  };

  // ---------- what the run knows ----------
  let ticks = 0;
  const tick = () => ++ticks;
  const records = new Map<string, MessageRecord>();
  const byUpdateId = new Map<number, MessageRecord>();
  /** How many posts of a Telegram update its sender has begun (a delivery belongs to the latest). */
  const postsStarted = new Map<MessageRecord, number>();
  const byWebimId = new Map<string, MessageRecord>();
  const visitorOfChat = new Map<number, string>();
  const blockSpans: BlockSpans = new Map();
  const faultCounts: Record<string, number> = {};
  const countFault = (name: string) => {
    faultCounts[name] = (faultCounts[name] ?? 0) + 1;
  };
  const newRecord = (direction: Direction, chat: number, seq: number, id: string, extra: Partial<MessageRecord> = {}) => {
    const record: MessageRecord = {
      key: `${direction === 'telegram_to_webim' ? 'u' : 'o'}-${chat}-${seq}`,
      direction,
      chat,
      seq,
      long: false,
      id,
      posts: 0,
      statuses: {},
      refused: false,
      deliveries: [],
      tails: 0,
      answersLost: 0,
      notes: 0,
      trail: [],
      ...extra,
    };
    records.set(record.key, record);
    return record;
  };
  for (const own of plan.updates)
    for (const u of own)
      if (u.kind === 'text') byUpdateId.set(u.updateId, newRecord('telegram_to_webim', u.chat, u.seq, String(u.updateId)));
  for (const own of plan.replies)
    for (const r of own) {
      const id = `op-${r.chat}-${r.seq}`;
      byWebimId.set(id, newRecord('webim_to_telegram', r.chat, r.seq, id, { mode: r.mode, long: r.long }));
    }

  // ---------- log lines: kept in a file, scanned as they come ----------
  const privacy = { textInLogLines: 0, secretInLogLines: 0, textInDatabaseRows: 0, tablesScanned: 0 };
  let logLines = 0;
  let processErrors = 0;
  if (options.logFile) mkdirSync(path.dirname(options.logFile), { recursive: true });
  const logStream = options.logFile ? createWriteStream(options.logFile) : undefined;
  const secretValues = Object.values(secrets);
  const logSink = (line: string) => {
    logLines++;
    logStream?.write(`${line}\n`);
    if (line.includes(MARKER)) privacy.textInLogLines++;
    if (secretValues.some((s) => line.includes(s))) privacy.secretInLogLines++;
    if (line.includes('"uncaught_exception"') || line.includes('"unhandled_rejection"') || line.includes('"local_server_error"'))
      processErrors++;
    if (line.includes('"webim_message_id":"op-') || line.includes('"update_id":')) {
      const fields = JSON.parse(line) as LogFields;
      const record = fields.webim_message_id ? byWebimId.get(fields.webim_message_id) : byUpdateId.get(Number(fields.update_id));
      if (!record) return;
      if (fields.event === 'message_not_delivered') record.notDelivered = fields.reason ?? 'unknown';
      if (fields.event === 'delivery_deferred' && AMBIGUOUS.test(fields.reason ?? ''))
        record.ambiguousLogged = (record.ambiguousLogged ?? 0) + 1;
      const why = fields.reason ?? fields.outcome ?? fields.result;
      record.trail.push(`${ROUTES[fields.route ?? ''] ?? fields.route}:${fields.event}${why ? `(${why})` : ''}`);
      if (record.trail.length > TRAIL_LENGTH) record.trail.shift();
    }
  };

  // ---------- the database, the proxy, the fakes, the bridge ----------
  const database = await openDatabase(options.databaseUrl);
  const target = new URL(database.url);
  const proxy: TcpProxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  const faults = new FaultState();
  let t0 = now();
  const at = () => now() - t0;

  const chatOf = (chatId: number) => chatId - CHAT_BASE;
  const onDelivered = (text: string, answerLost: boolean, to: { chatId?: number; visitorId?: string }) => {
    for (const [, dir, chat, seq, tail] of text.matchAll(TEXT_PATTERN)) {
      const record = records.get(`${dir}-${chat}-${seq}`);
      if (!record) continue;
      if (to.chatId !== undefined && chatOf(to.chatId) !== record.chat) continue; // a misrouted text counts as not delivered
      if (to.visitorId !== undefined) {
        if (!visitorOfChat.has(record.chat)) visitorOfChat.set(record.chat, to.visitorId);
        if (visitorOfChat.get(record.chat) !== to.visitorId) continue;
      }
      if (tail) record.tails++;
      else
        record.deliveries.push({
          at: at(),
          tick: tick(),
          answerLost,
          post: record.direction === 'telegram_to_webim' ? postsStarted.get(record) : undefined,
        });
      if (answerLost) record.answersLost++;
    }
  };
  const upstreamFault = (prefix: 'telegram' | 'webim', chat?: number): UpstreamFault | undefined => {
    const t = at();
    if (prefix === 'telegram' && chat !== undefined && faults.blocked(chat, t)) {
      countFault('telegram_403 to a blocked user');
      return { answer: { status: 403, body: { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' } } };
    }
    const hit = (kind: Fault['kind']) => faults.active(kind, t).find((w) => live.chance(w.p));
    if (hit(`${prefix}_5xx`)) {
      countFault(`${prefix}_5xx answered`);
      const status = live.pick([500, 502, 503]);
      return {
        answer: {
          status,
          body: prefix === 'telegram' ? { ok: false, error_code: status, description: 'Internal Server Error' } : { error: 'internal' },
        },
      };
    }
    const limited = prefix === 'telegram' ? hit('telegram_429') : undefined;
    if (limited) {
      countFault('telegram_429 answered');
      const retryAfter = limited.retryAfter ?? 1;
      return {
        answer: {
          status: 429,
          body: {
            ok: false,
            error_code: 429,
            description: `Too Many Requests: retry after ${retryAfter}`,
            parameters: { retry_after: retryAfter },
          },
        },
      };
    }
    if (hit(`${prefix}_hang`)) {
      countFault(`${prefix}_hang answered`);
      return { hang: true };
    }
    if (prefix === 'telegram' && hit('telegram_reset')) {
      countFault('telegram_reset answered');
      return { reset: true };
    }
    if (hit(`${prefix}_answer_lost`)) {
      countFault(`${prefix}_answer_lost answered`);
      return { lost: live.pick(['hang', 'reset'] as const) };
    }
    return undefined;
  };
  let otherTexts = 0;
  const upstreams: ChaosUpstreams = await startChaosUpstreams({
    botToken: secrets.botToken,
    webimToken: secrets.webimToken,
    telegramFault: (chatId) => upstreamFault('telegram', chatOf(chatId)),
    webimFault: () => upstreamFault('webim'),
    onTelegramMessage: (chatId, text, answerLost) => {
      if (!text.includes(MARKER)) otherTexts++;
      onDelivered(text, answerLost, { chatId });
    },
    onWebimMessage: (body, answerLost) => {
      const message = body as { visitor?: { id?: string }; message?: { id?: string; kind?: string; text?: string } };
      if (message.message?.kind === 'visitor') onDelivered(message.message.text ?? '', answerLost, { visitorId: message.visitor?.id });
      else if (message.message?.kind === 'for_operator') {
        const record = byWebimId.get(String(message.message.id).replace(/^note-/, ''));
        if (record) record.notes++;
      }
    },
  });

  const env: Record<string, string> = {
    TELEGRAM_BOT_TOKEN: secrets.botToken,
    TELEGRAM_WEBHOOK_SECRET: secrets.webhookSecret,
    TELEGRAM_API_BASE: upstreams.telegramUrl,
    WEBIM_API_URL: upstreams.webimUrl,
    WEBIM_ACCESS_TOKEN: secrets.webimToken,
    WEBIM_CALLBACK_SECRET: secrets.callbackSecret,
    DATABASE_URL: throughProxy(database.url, proxy),
    DATABASE_POOL_MAX: String(database.poolMax),
    PUBLIC_BASE_URL: 'https://chaos.example.invalid',
    TELEGRAM_TIMEOUT_MS: String(TELEGRAM_TIMEOUT_MS),
    WEBIM_TIMEOUT_MS: '3000',
    // The sandbox caps backoff the same way: a chaos run is minutes, not hours.
    QUEUE_MAX_BACKOFF_SECONDS: '5',
    CLAIM_LEASE_SECONDS: '30',
    LOG_LEVEL: 'info',
  };
  const queue = new MemoryReplyQueue({ maxReceives: 21, visibilitySeconds: 10 });
  const runtime = new Runtime({ env, logSink, replyQueue: queue });
  await migrate(await runtime.databaseOnly(), await readMigrations());
  const consumer = createReplyQueueHandler(runtime);
  const consumerStats = { batches: 0, killed: 0 };
  // The queue's consumer, killed mid-batch when the plan says so: the records before the kill
  // are handled for real (what they changed stays changed), then the invocation dies and the
  // whole batch comes back after the visibility timeout, as SQS does after a crash.
  queue.start(async (event: SQSEvent) => {
    consumerStats.batches++;
    if (faults.kills > 0) {
      faults.kills--;
      consumerStats.killed++;
      const before = live.int(0, event.Records.length - 1);
      if (before > 0) await consumer({ Records: event.Records.slice(0, before) });
      throw new Error('consumer killed mid-batch');
    }
    return consumer(event);
  });
  const server = await startLocalServer(runtime, { port: 0 });
  progress(`bridge on ${server.url}, database ${database.kind} behind a TCP proxy`);

  // ---------- senders ----------
  const post = async (
    route: string,
    headers: Record<string, string>,
    body: string,
  ): Promise<{ status: number; retryAfter?: number } | { error: string }> => {
    try {
      const res = await fetch(`${server.url}${route}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
        signal: AbortSignal.timeout(SENDER_TIMEOUT_MS),
      });
      await res.arrayBuffer();
      const retryAfter = Number(res.headers.get('retry-after'));
      return { status: res.status, retryAfter: Number.isFinite(retryAfter) ? retryAfter : undefined };
    } catch (error) {
      return { error: (error as Error).name };
    }
  };
  const note = (record: MessageRecord, answer: { status: number } | { error: string }) => {
    const key = 'status' in answer ? String(answer.status) : answer.error;
    record.statuses[key] = (record.statuses[key] ?? 0) + 1;
  };
  const workloadEnd = options.durationMs;
  const hardEnd = options.durationMs + options.drainMs;
  let stopping = false;
  const sleepUntil = async (ms: number) => {
    while (!stopping && at() < ms) await sleep(Math.min(250, ms - at()));
  };

  const updateBody = (u: UserUpdate): string => {
    const chatId = CHAT_BASE + u.chat;
    const from = { id: chatId, is_bot: false, first_name: 'Chaos', last_name: `User${u.chat}` };
    if (u.kind === 'text')
      return JSON.stringify({
        update_id: u.updateId,
        message: {
          message_id: u.messageId,
          from,
          chat: { id: chatId, type: 'private', first_name: 'Chaos' },
          date: 1795338901,
          text: u.text,
        },
      });
    const status = (s: string) => ({ user: { id: 1, is_bot: true, first_name: 'Support' }, status: s });
    return JSON.stringify({
      update_id: u.updateId,
      my_chat_member: {
        chat: { id: chatId, type: 'private', first_name: 'Chaos' },
        from,
        date: 1795338901,
        old_chat_member: status(u.kind === 'kicked' ? 'member' : 'kicked'),
        new_chat_member: status(u.kind === 'kicked' ? 'kicked' : 'member'),
      },
    });
  };

  /** Telegram: one chat's updates one at a time, each redelivered until a 2xx. */
  const telegramChat = async (updates: UserUpdate[]) => {
    for (const u of updates) {
      await sleepUntil(u.at);
      const record = u.kind === 'text' ? byUpdateId.get(u.updateId) : undefined;
      const body = updateBody(u);
      for (let attempt = 0; !stopping; attempt++) {
        if (record && record.posts === 0) {
          record.firstPostAt = at();
          record.firstPostTick = tick();
        }
        if (record) postsStarted.set(record, (postsStarted.get(record) ?? 0) + 1);
        const answer = await post('/telegram-webhook', { 'x-telegram-bot-api-secret-token': secrets.webhookSecret }, body);
        if (record) {
          record.posts++;
          note(record, answer);
        }
        if ('status' in answer && answer.status >= 200 && answer.status < 300) {
          if (record) {
            record.acceptedAt = at();
            record.acceptedTick = tick();
          }
          if (u.kind === 'kicked') blockSpans.set(u.chat, [...(blockSpans.get(u.chat) ?? []), { from: at() }]);
          if (u.kind === 'member') {
            const open = blockSpans.get(u.chat)?.find((s) => s.unblockedAt === undefined);
            if (open) open.unblockedAt = at();
          }
          break;
        }
        // Telegram backs off between deliveries of an update; the chat's later updates wait.
        await sleep(Math.min(500 * 2 ** attempt, 5_000));
      }
    }
  };

  /** Webim: one operator reply, posted once, until a 2xx, or twice at once and once more after the 2xx. */
  const webimReply = async (reply: OperatorReply) => {
    await sleepUntil(reply.at);
    const record = byWebimId.get(`op-${reply.chat}-${reply.seq}`) as MessageRecord;
    // The operator can answer only a chat Webim knows: its first message must have arrived.
    while (!stopping && !visitorOfChat.has(reply.chat)) await sleep(200);
    const visitorId = visitorOfChat.get(reply.chat);
    if (!visitorId) return;
    const body = JSON.stringify({
      event: 'new_message',
      visitor_id: visitorId,
      chat_id: 90_000 + reply.chat,
      message: { id: record.id, kind: 'operator', text: reply.text },
    });
    const once = async () => {
      if (record.posts === 0) {
        record.firstPostAt = at();
        record.firstPostTick = tick();
      }
      record.posts++;
      const answer = await post('/webim-callback', { authorization: `Token ${secrets.callbackSecret}` }, body);
      note(record, answer);
      const ok = 'status' in answer && answer.status >= 200 && answer.status < 300;
      if (ok && record.acceptedTick === undefined) {
        record.acceptedAt = at();
        record.acceptedTick = tick();
      }
      return ok;
    };
    if (reply.mode === 'once') {
      if (!(await once())) record.refused = true;
      return;
    }
    let ok = reply.mode === 'duplicated' ? (await Promise.all([once(), once()])).some(Boolean) : await once();
    for (let attempt = 0; !ok && !stopping; attempt++) {
      await sleep(Math.min(500 * 2 ** attempt, 4_000));
      ok = await once();
    }
    if (ok && reply.mode === 'duplicated') {
      await sleep(reply.repostAfterMs);
      if (!stopping) await once();
    }
  };

  const probeStats = { probes: 0, fiveHundreds: 0, statuses: {} as Record<string, number> };
  const probe = async (p: Probe) => {
    await sleepUntil(p.at);
    if (stopping) return;
    const update = JSON.stringify({ update_id: 1, message: { message_id: 1, chat: { id: 1, type: 'private' }, date: 1, text: 'probe' } });
    const callback = JSON.stringify({ event: 'new_message', visitor_id: 'v', message: { id: 'p', kind: 'operator', text: 'probe' } });
    const answer = await {
      telegram_no_secret: () => post('/telegram-webhook', {}, update),
      telegram_wrong_secret: () => post('/telegram-webhook', { 'x-telegram-bot-api-secret-token': 'wrong' }, update),
      webim_no_auth: () => post('/webim-callback', {}, callback),
      webim_wrong_token: () => post('/webim-callback', { authorization: 'Token wrong' }, callback),
      webim_wrong_path_secret: () => post('/webim-callback/wrong', {}, callback),
    }[p.kind]();
    probeStats.probes++;
    const key = 'status' in answer ? String(answer.status) : answer.error;
    probeStats.statuses[key] = (probeStats.statuses[key] ?? 0) + 1;
    if (!('status' in answer) || answer.status >= 500) probeStats.fiveHundreds++;
  };

  let stallUntil = 0;
  const faultDriver = async () => {
    for (const f of plan.faults) {
      await sleepUntil(f.at);
      if (stopping || at() >= workloadEnd) return;
      countFault(f.kind);
      if (f.kind === 'db_cut') proxy.cut();
      else if (f.kind === 'db_stall') {
        proxy.blackhole();
        stallUntil = Math.max(stallUntil, at() + f.ms);
        void sleep(f.ms).then(() => {
          if (at() >= stallUntil - 1) proxy.restore();
        });
      } else if (f.kind === 'consumer_killed') faults.kills++;
      else faults.add(f, at());
    }
  };

  // ---------- the run ----------
  t0 = now();
  const senders = [
    ...plan.updates.map((u) => telegramChat(u)),
    ...plan.replies.flat().map((r) => webimReply(r)),
    ...plan.probes.map((p) => probe(p)),
  ];
  const driver = faultDriver();
  let afterWarmUp: MemoryFigure | undefined;
  const warmUpAt = Math.min(30_000, options.durationMs / 3);
  for (let next = 10_000; at() < workloadEnd; ) {
    await sleep(Math.min(1_000, workloadEnd - at()));
    if (!afterWarmUp && at() >= warmUpAt) afterWarmUp = memory();
    if (at() >= next) {
      const accepted = [...records.values()].filter((r) => r.acceptedTick !== undefined).length;
      progress(`${Math.round(at() / 1000)} s: ${accepted} messages accepted, ${ticks} events, queue ${queue.size}`);
      next += 10_000;
    }
  }
  afterWarmUp ??= memory();

  // The faults end with the workload: what was accepted must now arrive.
  faults.clear();
  proxy.restore();
  stallUntil = 0;
  progress(`workload done at ${Math.round(at() / 1000)} s; draining (at most ${Math.round(options.drainMs / 1000)} s)`);
  const drainStart = at();
  const settled = Promise.all(senders).then(() => true);
  let sendersDone = false;
  void settled.then(() => {
    sendersDone = true;
  });
  const outstanding = () =>
    [...records.values()].filter(
      (r) =>
        r.acceptedTick !== undefined &&
        !(r.deliveries.length > 0 && (!r.long || r.tails > 0)) &&
        !(r.notes > 0 || r.notDelivered !== undefined),
    ).length;
  while (at() < hardEnd && !(sendersDone && outstanding() === 0 && queue.size === 0)) await sleep(250);
  const drainedInMs = Math.round(at() - drainStart);
  stopping = true;
  await driver;
  // A sender still waiting for an answer gets it within its own timeout.
  let giveUp: NodeJS.Timeout | undefined;
  await Promise.race([settled, new Promise<void>((resolve) => (giveUp = setTimeout(resolve, SENDER_TIMEOUT_MS + 1_000)))]);
  clearTimeout(giveUp);
  const atEnd = memory();

  // ---------- privacy: no text in any row of any table ----------
  try {
    const db = await runtime.databaseOnly();
    const tables = await db.sql<{ name: string }[]>`
      SELECT quote_ident(table_name) AS name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`;
    for (const { name } of tables) {
      const [row] = await db.sql.unsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${name} t WHERE t::text LIKE '%${MARKER}%'`);
      privacy.textInDatabaseRows += row?.n ?? 0;
      privacy.tablesScanned++;
    }
  } catch (error) {
    progress(`database scan failed: ${(error as Error).message}`);
    privacy.tablesScanned = -1;
  }

  const leftInQueue = queue.size;
  const deadLettered = queue.deadLettered.length;
  await queue.stop();
  await server.close();
  await runtime.close();
  await upstreams.close();
  await proxy.close();
  await database.close();
  await new Promise<void>((resolve) => (logStream ? logStream.end(resolve) : resolve()));

  const all = [...records.values()];
  const t2w = checkDirection('telegram_to_webim', all, blockSpans);
  const w2t = checkDirection('webim_to_telegram', all, blockSpans);
  if (otherTexts) faultCounts['other texts to users'] = otherTexts;
  const findings = [...t2w.findings, ...w2t.findings];
  const ok =
    findings.length === 0 &&
    probeStats.fiveHundreds === 0 &&
    privacy.textInLogLines === 0 &&
    privacy.secretInLogLines === 0 &&
    privacy.textInDatabaseRows === 0 &&
    privacy.tablesScanned > 0 &&
    processErrors === 0;
  return {
    seed: options.seed,
    durationMs: options.durationMs,
    chats: options.chats,
    database: database.kind,
    directions: { telegram_to_webim: t2w.summary, webim_to_telegram: w2t.summary },
    findings,
    faults: faultCounts,
    unauthenticated: probeStats,
    privacy,
    processErrors,
    consumer: { ...consumerStats, deadLettered, leftInQueue },
    memory: { afterWarmUp, atEnd },
    logLines,
    logFile: options.logFile,
    drainedInMs,
    ok,
  };
}
