import { httpHandler, outcomeResult } from '../lib/app/http-handler';
import { defaultRuntime, type Runtime } from '../lib/app/runtime';
import { describeIssues, PLAIN_WORDS } from '../lib/core/schema-issues';
import { HttpError, type HttpEvent, header, jsonResult, readJsonBody } from '../lib/http/api-gateway';
import { secretMatchesAny } from '../lib/http/secret';
import { relayDeps } from '../lib/relay/deps';
import { queueableIds, queueReply, refuseReply } from '../lib/relay/queued-reply';
import { relayWebimCallback } from '../lib/relay/webim-callback';
import { webimCallbackSchema } from '../lib/webim/wire';

/** The secret Webim presents: `Authorization: Token <secret>`, or the last path segment. */
function presentedSecret(event: HttpEvent): string | undefined {
  const auth = header(event, 'authorization');
  const match = auth && /^Token\s+(.+)$/i.exec(auth.trim());
  if (match) return match[1];
  if (event.pathParameters?.secret) return event.pathParameters.secret;
  const last = event.rawPath?.split('/').filter(Boolean).pop();
  if (!last || last === 'webim-callback') return undefined;
  try {
    return decodeURIComponent(last);
  } catch {
    return undefined; // not valid percent-encoding: no secret presented (401)
  }
}

/**
 * POST /webim-callback[/<secret>] — authenticate, validate, relay the operator's message to the
 * Telegram user; 200 {"result":"ok"} when handled or deliberately ignored, 503 when a retry helps.
 */
export function createWebimCallbackHandler(runtime: Runtime) {
  return httpHandler(
    'webim-callback',
    runtime,
    async (event, { log, deadline, note }) => {
      const accepted = await runtime.acceptedSecrets('WEBIM_CALLBACK_SECRET');
      if (!secretMatchesAny(presentedSecret(event), accepted)) {
        throw new HttpError(401, 'unauthorized', 'missing or wrong callback secret');
      }
      const body = readJsonBody(event);
      const parsed = webimCallbackSchema.safeParse(body, PLAIN_WORDS);
      if (!parsed.success)
        throw new HttpError(400, 'malformed_callback', `body is not a Webim callback: ${describeIssues(parsed.error.issues)}`);
      const callback = parsed.data;
      note.visitor_id = callback.visitor_id;
      note.webim_message_id = callback.message?.id;

      const ctx = await runtime.relayContext();
      const queue = runtime.replyQueue(ctx.settings);
      const deps = relayDeps(ctx, { log, deadline, direction: 'webim_to_telegram' });
      const outcome = await relayWebimCallback(deps, callback);
      await runtime.recordDelivery(deps, outcome);
      note.outcome = outcome.status === 'done' ? outcome.result : `retry_${outcome.reason}`;
      const queued = queue && queueableIds(callback, outcome, ctx.settings);
      if (queue && queued) {
        // Accepted durably: the reply waits in the queue and keeps its place in its chat's order
        // (in the database). Anything that keeps it from the queue is a 503: the sender keeps it.
        try {
          await queueReply(deps, queue, body, queued, outcome.status === 'retry' ? outcome.reason : '');
        } catch (error) {
          await refuseReply(deps, callback, ctx.settings);
          throw error;
        }
        note.outcome = `queued_${note.outcome}`;
        return jsonResult(200, { result: 'ok' });
      }
      // Its claim could not be made (the database failed): answered 503, it holds no place.
      if (queue && outcome.status === 'retry' && outcome.unclaimed) await refuseReply(deps, callback, ctx.settings);
      return outcomeResult(outcome, { result: 'ok' });
    },
    { acknowledged: { result: 'ok' }, direction: 'webim_to_telegram' },
  );
}

const runtime = defaultRuntime();
export const handler = createWebimCallbackHandler(runtime);

// INIT: Lambda runs the module's top level, at full CPU, before it hands over the first event.
// The settings, the database connection and schema check and the upstream connection(s) the first
// request needs are made here, in parallel; the first request waits only for what is unfinished.
// Never fails INIT: a step that fails is left to the request (see Runtime.warmUp).
await runtime.warmUpOnLambda(['telegram']);
