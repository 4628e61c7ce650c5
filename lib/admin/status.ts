import { flushStats } from '../db/delivery-stats';
import { readMigrations } from '../db/migrate';
import type { RelayDeps } from '../relay/deps';
import { adminWordsOf } from '../settings/texts';
import { runDoctor } from './doctor';
import { statsReport } from './stats';

/**
 * The answer to `/status` in the admin chat: the doctor's short summary (its problems, if any)
 * and the last 24 hours of delivery statistics. Ids and counts only. The headline is in the
 * desk's language; the doctor's and the statistics' own lines are in English, as on the command line.
 */
export async function statusText(deps: RelayDeps): Promise<string> {
  const migrations = await readMigrations().catch(() => []);
  const doctor = await runDoctor({ settings: async () => deps.settings, database: async () => deps.db, migrations, timeoutMs: 3000 });
  const problems = doctor.checks.filter((c) => c.status !== 'ok');
  await flushStats(deps.db).catch(() => {});
  const stats = await statsReport(deps.db);
  const day = stats.windows[0];
  const words = adminWordsOf(deps.settings);
  return [
    doctor.ok ? words.statusHealthy(doctor.checks.length) : words.statusProblems(problems.filter((c) => c.status === 'fail').length),
    ...problems.map((c) => `${c.status === 'fail' ? '✗' : '!'} ${c.name}: ${c.detail}`),
    '',
    ...(day ? stats.lines.slice(0, 3) : []),
    stats.lines.at(-1) ?? '',
  ].join('\n');
}
