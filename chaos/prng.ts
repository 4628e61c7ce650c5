/**
 * A small seeded pseudo-random generator (mulberry32): every choice of the chaos run comes from
 * one, so a seed names a run. Not for anything secret.
 */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max], both included. */
  int(min: number, max: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
  /** An exponentially distributed gap with the given mean (a Poisson process's spacing). */
  gap(mean: number): number;
}

/** A generator for `seed` (any 32-bit integer); the same seed gives the same sequence. */
export function seeded(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)] as (typeof items)[number],
    gap: (mean) => -Math.log(1 - next()) * mean,
  };
}

/** A second, independent stream derived from a seed (so adding a choice in one place does not shift the other). */
export function derived(seed: number, stream: number): Random {
  return seeded(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(stream + 1, 0xc2b2ae35));
}
