import { loadDotEnv, prepareLocalEnvironment } from '../local/bootstrap';

/** `npm run migrate`: applies pending migrations to DATABASE_URL (or the embedded database). */
loadDotEnv();
const local = await prepareLocalEnvironment();
process.stdout.write(`${JSON.stringify({ applied: local.applied, database: local.embedded ? 'embedded' : 'DATABASE_URL' })}\n`);
await local.stop();
