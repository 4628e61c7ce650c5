/**
 * The outcome class of a failed delivery, whichever side failed. It decides what we answer the
 * sender: transient → release the claim and ask for a retry (503); permanent / blocked →
 * complete the claim, log, acknowledge (200) so a poison message never freezes a chat.
 */
export type DeliveryFailureKind = 'transient' | 'permanent' | 'blocked';

export class DeliveryFailure extends Error {
  override readonly name = 'DeliveryFailure';
  constructor(
    readonly kind: DeliveryFailureKind,
    readonly upstream: 'telegram' | 'webim',
    readonly reason: string,
    /** For transient failures: when a retry makes sense, in seconds. */
    readonly retryAfterSeconds?: number,
    options?: { cause?: unknown },
  ) {
    super(`${upstream} delivery failed (${kind}): ${reason}`, options);
  }
}
