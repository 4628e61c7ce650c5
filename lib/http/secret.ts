import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Constant-time comparison of a presented secret with the expected one. Both are hashed first so
 * that neither the content nor the length of the expected secret leaks through timing.
 */
export function secretMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined || expected.length === 0) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * Whether the presented secret matches any of the accepted ones (the current secret and, during a
 * rotation, the previous one). Every candidate is compared, so timing says nothing about which.
 */
export function secretMatchesAny(presented: string | undefined, accepted: readonly string[]): boolean {
  let match = false;
  for (const expected of accepted) match = secretMatches(presented, expected) || match;
  return match;
}
