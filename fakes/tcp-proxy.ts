import type { AddressInfo } from 'node:net';
import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy on loopback that can fail the way networks fail, at a moment the test chooses:
 * - `blackhole()`: bytes in both directions are dropped, connections stay open, new ones are
 *   accepted and hear nothing (a dead route or a hung server);
 * - `cut()`: every open connection is reset (a failover, a proxy restart);
 * - `restore()`: forwarding resumes for new connections; the black-holed ones are closed.
 * A closed side is passed on to the other side in every mode.
 */
export async function startTcpProxy(target: { host: string; port: number }) {
  const pairs = new Set<{ client: Socket; server: Socket }>();
  let mode: 'forward' | 'blackhole' = 'forward';
  let connections = 0;

  const proxy = createServer((client) => {
    connections++;
    const server = connect(target.port, target.host);
    const pair = { client, server };
    pairs.add(pair);
    const pipe = (from: Socket, to: Socket) => {
      from.on('data', (chunk) => {
        if (mode === 'forward' && !to.destroyed) to.write(chunk);
      });
      from.on('close', () => {
        to.destroy();
        pairs.delete(pair);
      });
      from.on('error', () => to.destroy());
    };
    pipe(client, server);
    pipe(server, client);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address() as AddressInfo;

  return {
    port,
    /** How many connections the proxy has accepted so far. */
    connections: () => connections,
    blackhole() {
      mode = 'blackhole';
    },
    cut() {
      for (const { client, server } of pairs) {
        client.resetAndDestroy();
        server.destroy();
      }
      pairs.clear();
    },
    restore() {
      if (mode === 'blackhole') {
        for (const { client, server } of pairs) {
          client.destroy();
          server.destroy();
        }
        pairs.clear();
      }
      mode = 'forward';
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const { client, server } of pairs) {
          client.destroy();
          server.destroy();
        }
        proxy.close(() => resolve());
      }),
  };
}

export type TcpProxy = Awaited<ReturnType<typeof startTcpProxy>>;

/** The same database URL, pointed at the proxy instead of the server. */
export function throughProxy(url: string, proxy: TcpProxy): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(proxy.port);
  return u.toString();
}
