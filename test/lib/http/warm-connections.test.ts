import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeThrowawayCertificate } from '../../../fakes/certificate';
import { WarmableAgent } from '../../../lib/http/warm-connections';

/** A throwaway certificate for 127.0.0.1 (undefined without openssl). */
function makeCertificate(): { key: string; cert: string } | undefined {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warm-tls-'));
  try {
    return makeThrowawayCertificate({ dir, commonName: 'test', altNames: 'IP:127.0.0.1' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const tls = makeCertificate();

describe.skipIf(!tls)('WarmableAgent: a connection opened before the first request', () => {
  let server: https.Server;
  let url: string;
  let connections = 0;
  beforeAll(async () => {
    server = https.createServer({ key: tls?.key, cert: tls?.cert }, (_req, res) => res.end('{"ok":true}'));
    server.on('secureConnection', () => connections++);
    server.keepAliveTimeout = 10_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const get = (agent: https.Agent) =>
    new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
      const req = https.get(url, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
      });
      req.on('error', reject);
    });

  it('the first request goes out on the warm connection, and later ones keep it alive', async () => {
    const agent = new WarmableAgent({ keepAlive: true, ca: tls?.cert });
    const before = connections;
    expect(await agent.warmUp(url, 5_000)).toBe(true);
    expect(agent.warmConnections).toBe(1);
    expect((await get(agent)).status).toBe(200);
    // Counted after an answer: the server hears of a TLS connection a moment after the client.
    expect(connections - before).toBe(1);
    expect(agent.warmConnections).toBe(0);
    expect(await get(agent)).toEqual({ status: 200, reused: true });
    expect(connections - before).toBe(1);
    agent.destroy();
  });

  it('a request made during the handshake takes the connection being opened instead of opening another', async () => {
    const agent = new WarmableAgent({ keepAlive: true, ca: tls?.cert });
    const before = connections;
    const warming = agent.warmUp(url, 5_000);
    expect((await get(agent)).status).toBe(200);
    expect(await warming).toBe(true);
    expect(connections - before).toBe(1);
    agent.destroy();
  });

  it('a host that cannot be reached gives false, and the request connects as usual', async () => {
    const agent = new WarmableAgent({ keepAlive: true, ca: tls?.cert });
    expect(await agent.warmUp('https://127.0.0.1:1/', 2_000)).toBe(false);
    expect(await agent.warmUp('not a url', 2_000)).toBe(false);
    expect(await agent.warmUp('http://127.0.0.1/', 2_000)).toBe(false);
    expect(agent.warmConnections).toBe(0);
    expect((await get(agent)).status).toBe(200);
    agent.destroy();
  });
});
