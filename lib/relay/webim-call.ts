import { DeliveryFailure } from '../core/failure';
import { webimDeliveryFailure } from '../webim/errors';
import { type RelayDeps, timedUpstream } from './deps';

/** Time kept back after the Webim call for completing the claim and answering. */
const WEBIM_RESERVE_MS = 1_000;
/** A Webim call with less time than this is not started. */
const WEBIM_MIN_ATTEMPT_MS = 250;

/**
 * One Webim call within what the invocation has left (timed); its failure classified as a
 * DeliveryFailure, so the exactly-once core answers it (retry, configuration, permanent).
 */
export async function callWebim(deps: RelayDeps, call: (budgetMs: number) => Promise<void>): Promise<void> {
  const budget = Math.min(deps.webim.timeoutMs, deps.deadline.remaining() - WEBIM_RESERVE_MS);
  if (budget < WEBIM_MIN_ATTEMPT_MS) throw new DeliveryFailure('transient', 'webim', 'no_time_left');
  try {
    await timedUpstream(deps, () => call(budget));
  } catch (error) {
    throw webimDeliveryFailure(error);
  }
}
