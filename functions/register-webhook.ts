import { manageWebhook, type WebhookRequest } from '../lib/admin/webhook';
import { defaultRuntime, type Runtime } from '../lib/runtime';

/**
 * One-shot admin function: `{"action":"set"}` (default) registers the webhook with the secret
 * token, `info` reports getWebhookInfo, `delete` removes it. Returns the report; throws (a failed
 * invocation) with a token-free message when Telegram refuses.
 */
export function createRegisterWebhookHandler(runtime: Runtime) {
  return async (event: WebhookRequest | null | undefined) => {
    const ctx = await runtime.context();
    const action = event?.action ?? 'set';
    if (!['set', 'info', 'delete'].includes(action)) throw new Error(`unknown action "${String(action)}": use set, info or delete`);
    try {
      const report = await manageWebhook(ctx.telegram, ctx.settings, { action, dropPendingUpdates: event?.dropPendingUpdates === true });
      runtime.log.info('webhook_report', { ...report });
      return report;
    } catch (error) {
      runtime.log.error('webhook_action_failed', { action, error });
      throw error;
    }
  };
}

export const handler = createRegisterWebhookHandler(defaultRuntime());
