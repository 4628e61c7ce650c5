import type { ServerResponse } from 'node:http';

/**
 * One line of the sandbox's live event log. Same privacy rule as the product: ids, statuses and
 * outcomes only — never a message text.
 */
export interface SandboxEvent {
  seq: number;
  time: string;
  /** Who reports it: a simulator, or the bridge's own log. */
  source: 'telegram' | 'webim' | 'bridge' | 'sandbox';
  kind: string;
  [field: string]: unknown;
}

const MAX_EVENTS = 500;

/** Keeps recent events and pushes events and state changes to Server-Sent-Event subscribers. */
export class SandboxEventBus {
  private readonly events: SandboxEvent[] = [];
  private readonly subscribers = new Set<ServerResponse>();
  private seq = 0;
  private statePending = false;
  private readonly listeners = new Set<(event: SandboxEvent) => void>();

  constructor(private readonly snapshot: () => unknown) {}

  emit(source: SandboxEvent['source'], kind: string, fields: Record<string, unknown> = {}): void {
    const event: SandboxEvent = { ...fields, seq: ++this.seq, time: new Date().toISOString(), source, kind };
    this.events.push(event);
    if (this.events.length > MAX_EVENTS) this.events.shift();
    for (const listener of this.listeners) listener(event);
    this.broadcast('log', event);
    this.stateChanged();
  }

  /**
   * Tells every page to re-render from the current state. Coalesced: a burst of events in one
   * tick (a request's log lines, the simulator's own note) sends the state once.
   */
  stateChanged(): void {
    if (this.statePending) return;
    this.statePending = true;
    setImmediate(() => {
      this.statePending = false;
      this.broadcast('state', this.snapshot());
    });
  }

  /** Follows every event as it is emitted (the simulators react to the bridge's own). */
  onEvent(listener: (event: SandboxEvent) => void): void {
    this.listeners.add(listener);
  }

  /** The current state: users and their chats, the desk's visitors, the fault switches. */
  state(): unknown {
    return this.snapshot();
  }

  recent(): SandboxEvent[] {
    return [...this.events];
  }

  subscribe(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(`event: state\ndata: ${JSON.stringify(this.snapshot())}\n\n`);
    for (const e of this.events) res.write(`event: log\ndata: ${JSON.stringify(e)}\n\n`);
    this.subscribers.add(res);
    res.on('close', () => this.subscribers.delete(res));
  }

  close(): void {
    for (const res of this.subscribers) res.end();
    this.subscribers.clear();
  }

  private broadcast(event: string, data: unknown): void {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of this.subscribers) res.write(frame);
  }
}
