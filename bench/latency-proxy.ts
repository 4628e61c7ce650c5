/**
 * A loopback proxy that puts a simulated network in front of a fake upstream or PostgreSQL: every
 * byte is held for half the chosen round trip in each direction (TCP's and TLS's handshakes
 * included), and TLS is terminated here, so the bridge pays the handshakes it pays on AWS while
 * the fakes behind stay plain. For PostgreSQL it answers the client's SSLRequest itself and
 * forwards the decrypted protocol to the server, noting when the client first sent a statement
 * and how many it sent (each Sync or simple Query is one round trip).
 *
 * It listens on 127.0.0.2, which the bridge does not count as loopback: its production defaults
 * (HTTPS only, verify-full to the database) apply as on AWS.
 */
import { connect, createServer, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { createSecureContext, TLSSocket } from 'node:tls';

export interface LatencyProxyOptions {
  target: { host: string; port: number };
  /** Added round-trip time; each direction waits half of it (at least a timer tick, about 1 ms). */
  rttMs: number;
  /** Terminate TLS with this certificate (PEM). */
  tls?: { key: string; cert: string };
  /** The target is PostgreSQL: answer SSLRequest with 'S' and terminate TLS after it. */
  postgres?: boolean;
}

/** What the proxy saw of one client connection, in epoch milliseconds (sub-millisecond). */
export interface ProxiedConnection {
  acceptedAt: number;
  /** TLS handshake finished (undefined without TLS). */
  secureAt?: number;
  /** The first application byte from the client (HTTP: the request; PostgreSQL: the startup message). */
  firstRequestAt?: number;
  /** PostgreSQL: the first statement (Parse or Query), i.e. the connection was ready. */
  firstStatementAt?: number;
  /** PostgreSQL: statements sent (Sync or simple Query messages), each one round trip. */
  statements: number;
  /** When each statement (PostgreSQL) or request chunk (HTTP) was sent. */
  sends: number[];
  /** The last byte passed back to the client. */
  lastReplyAt?: number;
}

export const epochNow = () => performance.timeOrigin + performance.now();

const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/**
 * A queue that passes chunks on after `delayMs`, in order. `firstExtraMs` is added to the first
 * chunk: the kernel completes the TCP handshake on loopback at once, so the round trip a real
 * connection spends on it is charged to the client's first bytes instead.
 */
function delayed(delayMs: number, deliver: (chunk: Buffer) => void, firstExtraMs = 0): (chunk: Buffer) => void {
  let last = 0;
  let extra = firstExtraMs;
  return (chunk) => {
    const at = Math.max(performance.now() + delayMs + extra, last);
    extra = 0;
    last = at;
    setTimeout(() => deliver(chunk), Math.max(0, at - performance.now()));
  };
}

/** Counts PostgreSQL frontend messages in the decrypted client stream (after the startup message). */
function postgresCounter(conn: ProxiedConnection): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  let startupSeen = false;
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    for (let guard = 0; guard < 10_000; guard++) {
      if (!startupSeen) {
        if (pending.length < 4) return;
        const len = pending.readInt32BE(0);
        if (pending.length < len) return;
        pending = pending.subarray(len);
        startupSeen = true;
        continue;
      }
      if (pending.length < 5) return;
      const type = String.fromCharCode(pending[0] as number);
      const len = pending.readInt32BE(1);
      if (pending.length < len + 1) return;
      pending = pending.subarray(len + 1);
      const now = epochNow();
      if ((type === 'P' || type === 'Q') && conn.firstStatementAt === undefined) conn.firstStatementAt = now;
      if (type === 'S' || type === 'Q') {
        conn.statements++;
        conn.sends.push(now);
      }
    }
  };
}

export async function startLatencyProxy(options: LatencyProxyOptions) {
  const connections: ProxiedConnection[] = [];
  const open = new Set<Socket>();
  const half = options.rttMs / 2;
  const context = options.tls ? createSecureContext({ key: options.tls.key, cert: options.tls.cert }) : undefined;

  const proxy = createServer((client) => {
    client.setNoDelay(true);
    open.add(client);
    const conn: ProxiedConnection = { acceptedAt: epochNow(), statements: 0, sends: [] };
    connections.push(conn);
    const upstream = connect(options.target.port, options.target.host);
    upstream.setNoDelay(true);
    open.add(upstream);
    const toClient = delayed(half, (chunk) => {
      if (!client.destroyed) client.write(chunk);
      conn.lastReplyAt = epochNow();
    });
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
    client.on('close', () => setTimeout(closeBoth, half));
    upstream.on('close', () => setTimeout(closeBoth, half));

    const count = options.postgres ? postgresCounter(conn) : (_: Buffer) => conn.sends.push(epochNow());
    const fromClientPlain = (chunk: Buffer) => {
      conn.firstRequestAt ??= epochNow();
      count(chunk);
      if (!upstream.destroyed) upstream.write(chunk);
    };

    if (!context) {
      client.on('data', delayed(half, fromClientPlain, options.rttMs));
      upstream.on('data', toClient);
      return;
    }
    // The client's raw bytes, delayed, feed a TLS server socket; its plaintext goes upstream.
    const wire = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        toClient(chunk);
        callback();
      },
    });
    let tls: TLSSocket | undefined;
    const startTls = () => {
      tls = new TLSSocket(wire, { isServer: true, secureContext: context });
      tls.on('secure', () => (conn.secureAt = epochNow()));
      tls.on('data', fromClientPlain);
      tls.on('error', closeBoth);
      upstream.on('data', (chunk: Buffer) => tls?.write(chunk));
    };
    let preamble = options.postgres ? Buffer.alloc(0) : undefined;
    if (!options.postgres) startTls();
    client.on(
      'data',
      delayed(
        half,
        (chunk) => {
          if (preamble === undefined) return wire.push(chunk);
          preamble = Buffer.concat([preamble, chunk]);
          if (preamble.length < 8) return;
          if (!preamble.subarray(0, 8).equals(SSL_REQUEST)) {
            // A plain connection: forward it untouched.
            const rest = preamble;
            preamble = undefined;
            upstream.on('data', toClient);
            client.removeAllListeners('data');
            client.on('data', delayed(half, fromClientPlain));
            fromClientPlain(rest);
            return;
          }
          const rest = preamble.subarray(8);
          preamble = undefined;
          toClient(Buffer.from('S'));
          startTls();
          if (rest.length) wire.push(rest);
        },
        options.rttMs,
      ),
    );
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.2', resolve));
  const address = proxy.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    host: '127.0.0.2',
    port,
    /** Every connection seen so far (the list is live). */
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        proxy.close(() => resolve());
      }),
  };
}

export type LatencyProxy = Awaited<ReturnType<typeof startLatencyProxy>>;
