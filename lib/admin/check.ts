export type CheckStatus = 'ok' | 'fail' | 'warn';

/** One line of a report (the doctor's, setup's): what was checked, what it found, and what to do about it. */
export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
  hint?: string;
}
