/**
 * The bridge under test, in its own process: the local server (same handlers as Lambda) plus a
 * stats route counting database round trips and peak RSS. Configuration comes from the env.
 */
import { createReplyQueueHandler } from '../functions/reply-queue';
import { Runtime } from '../lib/app/runtime';
import { MemoryReplyQueue } from '../lib/queue/memory';
import { REDRIVE_MAX_RECEIVES } from '../lib/queue/reply-queue';
import { keepServing } from '../local/process-guard';
import { startLocalServer } from '../local/server';

let queries = 0;
let peakRss = process.memoryUsage.rss();
setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, 20).unref();

// Logs go to stdout as on Lambda (the parent drains them): their cost is part of the measurement.
// With the in-process reply queue, as npm start runs: the fast path must not touch it.
const replyQueue = new MemoryReplyQueue({ maxReceives: REDRIVE_MAX_RECEIVES });
const runtime = new Runtime({ env: process.env, onQuery: () => queries++, replyQueue });
replyQueue.start(createReplyQueueHandler(runtime));
keepServing(runtime.log);
const server = await startLocalServer(runtime, {
  port: 0,
  extra: async (req, res, path) => {
    if (path !== '/__bench/stats') return false;
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ queries, peakRss, ...process.memoryUsage() }));
    if (req.method === 'POST') peakRss = process.memoryUsage.rss(); // reset the peak window
    return true;
  },
});
// Settings + connection, as a warm container has them; a database that is not there yet is the
// first request's business (it answers 503), not a reason to end the process.
await runtime.relayContext().catch((error: unknown) => runtime.log.warn('warm_up_failed', { error }));
process.send?.({ benchBridgeUrl: server.url }); // the bench's control channel
process.on('SIGTERM', () => {
  void server
    .close()
    .then(() => runtime.close())
    .finally(() => process.exit(0));
});
