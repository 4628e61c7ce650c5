// A fresh Node process: load the bundled handler, answer one request, then a second (warm) one.
// Prints times since process start (performance.now() counts from it). The bundle is imported as
// Lambda's runtime does (import(): CommonJS or an ES module; an ES module's top-level await, the
// INIT work, counts as loading).
const { pathToFileURL } = require('node:url');
const bundle = process.argv[2];
const eventFor = (updateId) => {
  const body = JSON.stringify({
    update_id: updateId,
    message: {
      message_id: updateId,
      date: 1795338901,
      text: 'cold start',
      chat: { id: 4242, type: 'private', first_name: 'Cold' },
      from: { id: 4242, is_bot: false, first_name: 'Cold' },
    },
  });
  return {
    version: '2.0',
    routeKey: 'POST /telegram-webhook',
    rawPath: '/telegram-webhook',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': process.env.BENCH_WEBHOOK_SECRET },
    requestContext: {
      requestId: `cold-${updateId}`,
      http: { method: 'POST', path: '/telegram-webhook' },
      routeKey: 'POST /telegram-webhook',
      stage: '$default',
    },
    body,
    isBase64Encoded: false,
  };
};
const context = { getRemainingTimeInMillis: () => 25_000 };
(async () => {
  const startedAt = performance.timeOrigin;
  const bootMs = performance.now(); // Node itself, before any of our code
  const { handler } = await import(pathToFileURL(bundle).href);
  const loadedMs = performance.now();
  // The load phase alone: importing the bundle, with no INIT work (not on Lambda: no warm-up).
  if (process.env.BENCH_LOAD_ONLY === '1') {
    process.stdout.write(JSON.stringify({ bootMs, loadedMs }) + '\n');
    process.exit(0);
  }
  const first = await handler(eventFor(Number(process.env.BENCH_UPDATE_ID)), context);
  const firstMs = performance.now();
  const firstDoneAt = Date.now();
  const second = await handler(eventFor(Number(process.env.BENCH_UPDATE_ID) + 1), context);
  const warmMs = performance.now() - firstMs;
  process.stdout.write(
    JSON.stringify({ startedAt, bootMs, loadedMs, firstMs, firstDoneAt, warmMs, statuses: [first.statusCode, second.statusCode] }) + '\n',
  );
  process.exit(0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
