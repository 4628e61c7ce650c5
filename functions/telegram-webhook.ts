import { statusText } from '../lib/admin/status';
import { httpHandler, outcomeResult } from '../lib/app/http-handler';
import { defaultRuntime, type Runtime } from '../lib/app/runtime';
import { HttpError, header, readJsonBody } from '../lib/http/api-gateway';
import { secretMatchesAny } from '../lib/http/secret';
import { relayDeps } from '../lib/relay/deps';
import { relayTelegramUpdate } from '../lib/relay/telegram-update';
import { parseUpdate } from '../lib/telegram/update';

/**
 * POST /telegram-webhook — authenticate (secret token, before any database or network work),
 * validate the Update, relay it, answer 200 or 503 when Telegram's retry can help.
 */
export function createTelegramWebhookHandler(runtime: Runtime) {
  return httpHandler(
    'telegram-webhook',
    runtime,
    async (event, { log, deadline, note }) => {
      const accepted = await runtime.acceptedSecrets('TELEGRAM_WEBHOOK_SECRET');
      if (!secretMatchesAny(header(event, 'x-telegram-bot-api-secret-token'), accepted)) {
        throw new HttpError(401, 'unauthorized', 'missing or wrong secret token');
      }
      const update = parseUpdate(readJsonBody(event));
      if (!update) throw new HttpError(400, 'not_an_update', 'body is not a Telegram Update');
      note.update_id = update.update_id;

      const ctx = await runtime.relayContext();
      const deps = relayDeps(ctx, { log, deadline, direction: 'telegram_to_webim', statusReport: statusText });
      const outcome = await relayTelegramUpdate(deps, update);
      await runtime.recordDelivery(deps, outcome);
      note.outcome = outcome.status === 'done' ? outcome.result : `retry_${outcome.reason}`;
      return outcomeResult(outcome, { ok: true });
    },
    { direction: 'telegram_to_webim' },
  );
}

const runtime = defaultRuntime();
export const handler = createTelegramWebhookHandler(runtime);

// INIT: Lambda runs the module's top level, at full CPU, before it hands over the first event.
// The settings, the database connection and schema check and the upstream connection(s) the first
// request needs are made here, in parallel; the first request waits only for what is unfinished.
// Never fails INIT: a step that fails is left to the request (see Runtime.warmUp).
await runtime.warmUpOnLambda(['webim', 'telegram']);
