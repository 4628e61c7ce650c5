/** The time an invocation may still spend on upstream calls, including waits before retries. */
export interface Deadline {
  /** Milliseconds left. */
  remaining(): number;
}

export const deadlineIn = (ms: number, now: () => number = Date.now): Deadline => {
  const end = now() + ms;
  return { remaining: () => end - now() };
};

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
