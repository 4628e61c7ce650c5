/** The same update sent many times at once: exactly one delivery. */
import { type LoadPhase, lastUpdateId, SIZES, secrets, TEXT, updateBody } from '../harness';
import { runLoad } from '../load';

export async function duplicatesPhase(p: LoadPhase): Promise<void> {
  const dupBody = updateBody(p.chats[0] as number, TEXT);
  const dupId = `tg-${p.chats[0]}-${lastUpdateId()}`;
  const dup = await runLoad(SIZES.duplicates, SIZES.duplicates, () => ({
    url: new URL(`${p.bridgeUrl}/telegram-webhook`),
    headers: { 'x-telegram-bot-api-secret-token': secrets.TELEGRAM_WEBHOOK_SECRET },
    body: dupBody,
  }));
  // Redeliver the ones that were told "in progress" (503), as Telegram would.
  const retry = await runLoad(5, 1, () => ({
    url: new URL(`${p.bridgeUrl}/telegram-webhook`),
    headers: { 'x-telegram-bot-api-secret-token': secrets.TELEGRAM_WEBHOOK_SECRET },
    body: dupBody,
  }));
  const deliveries = p.fakes.webimIds.get(dupId) ?? 0;
  p.figures.push({
    figure: `same update sent ${SIZES.duplicates}× concurrently`,
    measured: `${deliveries} Webim delivery (answers: ${JSON.stringify(dup.statuses)}, then ${JSON.stringify(retry.statuses)})`,
    target: 'exactly 1',
    ok: deliveries === 1,
  });
  p.raw.duplicates = { deliveries, statuses: dup.statuses };
}
