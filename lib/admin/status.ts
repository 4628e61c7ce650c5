import { flushStats } from '../db/delivery-stats';
import { readMigrations } from '../db/migrate';
import type { RelayDeps } from '../relay/deps';
import { runDoctor } from './doctor';
import { statsReport } from './stats';

/**
 * The answer to `/status` in the admin chat: the doctor's short summary (its problems, if any)
 * and the last 24 hours of delivery statistics. Ids and counts only.
 */
export async function statusText(deps: RelayDeps): Promise<string> {
  const migrations = await readMigrations().catch(() => []);
  const doctor = await runDoctor({ settings: async () => deps.settings, database: async () => deps.db, migrations, timeoutMs: 3000 });
  const problems = doctor.checks.filter((c) => c.status !== 'ok');
  await flushStats(deps.db).catch(() => {});
  const stats = await statsReport(deps.db);
  const day = stats.windows[0];
  return [
    doctor.ok
      ? `✅ Bridge healthy (${doctor.checks.length} checks)`
      : `❌ ${problems.filter((c) => c.status === 'fail').length} problem(s)`,
    ...problems.map((c) => `${c.status === 'fail' ? '✗' : '!'} ${c.name}: ${c.detail}`),
    '',
    ...(day ? stats.lines.slice(0, 3) : []),
    stats.lines.at(-1) ?? '',
  ].join('\n');
}
