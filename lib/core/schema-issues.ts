import type { core } from 'zod/mini';

/**
 * The bridge's own words for a broken schema rule, in plain English from the issue's code and
 * limits (`must be at most 256 characters`): `zod/mini` loads no message catalogue (that is most
 * of what it saves on the cold path), and a process that also loads full `zod` (the local
 * sandbox) switches zod's English catalogue on for every schema. Parsing with `PLAIN_WORDS`
 * makes the words the same everywhere; a rule's own message still comes first.
 *
 * Invariant: never quotes the value (`issue.input`): it may be a secret or a user's words.
 */
export const PLAIN_WORDS = { error: (issue: core.$ZodRawIssue) => wordsFor(issue) } as const;

/** What one issue says: its own message, or the words of the nearest form of a union. */
export function describeIssue(issue: core.$ZodIssue): string {
  return issue.message && issue.message !== GENERIC ? issue.message : wordsFor(issue);
}

/**
 * Where a body broke its schema, for an error answer: the first `max` issues, each as its path
 * and what the rule wanted (paths and rules only: the values may be user content).
 */
export const describeIssues = (issues: readonly core.$ZodIssue[], max = 3): string =>
  issues
    .slice(0, max)
    .map((outer) => {
      const { path, issue } = alternativeOf(outer);
      return `${path.map(String).join('.') || 'body'} ${describeIssue(issue)}`;
    })
    .join('; ');

/** zod's message for a rule that was given none when no catalogue is loaded. */
const GENERIC = 'Invalid input';

function wordsFor(issue: core.$ZodRawIssue | core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'nonoptional' || issue.expected === 'undefined' ? 'is required' : `must be ${article(issue.expected)}`;
    case 'too_small':
      return `must be ${issue.inclusive === false ? 'more than' : 'at least'} ${String(issue.minimum)}${unitOf(issue.origin)}`;
    case 'too_big':
      return `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${String(issue.maximum)}${unitOf(issue.origin)}`;
    case 'invalid_format':
      return issue.format === 'url' ? 'must be an http(s) URL' : `must be a valid ${issue.format}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}`;
    case 'invalid_union': {
      const union = { ...issue, path: [] } as core.$ZodIssue;
      const { path, issue: inner } = alternativeOf(union);
      if (inner === union) return 'matches none of the allowed forms';
      const said = inner.message && inner.message !== GENERIC ? inner.message : wordsFor(inner);
      return `${path.map(String).join('.')} ${said}`.trim();
    }
    default:
      return 'is not valid';
  }
}

/**
 * For a value that matched none of a union's forms: the problem of the form it came nearest to
 * (the first whose type it has; else the first form's), with its full path. Other issues as they are.
 */
function alternativeOf(issue: core.$ZodIssue): { path: PropertyKey[]; issue: core.$ZodIssue } {
  if (issue.code !== 'invalid_union' || !issue.errors.length) return { path: issue.path, issue };
  const near = issue.errors.find((e) => e[0] && !(e[0].code === 'invalid_type' && e[0].path.length === 0)) ?? issue.errors[0];
  const inner = near?.[0];
  if (!inner) return { path: issue.path, issue };
  const deeper = alternativeOf(inner);
  return { path: [...issue.path, ...deeper.path], issue: deeper.issue };
}

const unitOf = (origin: string): string => (origin === 'string' ? ' characters' : origin === 'array' || origin === 'set' ? ' items' : '');

const article = (expected: string): string =>
  expected === 'int' ? 'a whole number' : /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
