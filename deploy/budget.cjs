// The database connection budget, split into reserved concurrency per function at package time.
// Every Lambda container holds at most one connection, so the functions' reserved concurrency
// together can never exceed the budget: the HTTP functions share what the one-shot and
// scheduled functions (one each) leave. Set with --param="connectionBudget=80".
const { paramOf: fromParams } = require('./params.cjs');

/** The split for a budget: exported for tests and for the doctor's check. */
function split(budget) {
  if (!Number.isInteger(budget) || budget < 9) throw new Error(`connectionBudget must be an integer ≥ 9, got ${budget}`);
  const oneShot = 3; // admin, migrate, housekeeping: one container each
  // The file function reads settings once per container; a desk opening a conversation loads its
  // images at once (a browser opens about six connections per host), so it gets up to six.
  const files = Math.min(6, Math.max(2, Math.floor((budget - oneShot) / 4)));
  // The reply queue's consumer: its event source mapping's maximum concurrency, 2 at least (the
  // smallest an event source mapping takes), up to 4 (replies wait in order per chat anyway).
  const replies = Math.min(4, Math.max(2, Math.floor((budget - oneShot) / 10)));
  const http = budget - oneShot - files - replies;
  const webhook = Math.ceil(http / 2);
  return { budget, webhook, callback: http - webhook, files, replies, oneShot: 1 };
}

/** What a budget needs from the account: Lambda keeps 100 executions unreserved. */
const REQUIRED_QUOTA = (budget) => budget + 100;

/**
 * Serverless resolves this file once per variable that uses it (seven of them): a thrown error
 * would be printed seven times, each with a stack. A wrong budget is said once, plainly, and
 * packaging stops there.
 */
function splitOrExit(raw) {
  try {
    return split(Number(raw));
  } catch {
    process.stderr.write(
      `\nconnectionBudget must be a whole number of 9 or more (got "${raw}"): the seven functions need at least one database connection each, the reply queue two and the HTTP functions one each.\n` +
        `The account must allow ${REQUIRED_QUOTA(9)} concurrent Lambda executions or more for that (Lambda keeps 100 unreserved): see "Concurrency" in docs/deploy.md.\n\n`,
    );
    process.exit(1);
  }
}

module.exports = async ({ options }) =>
  splitOrExit(fromParams(options, 'connectionBudget') || process.env.DATABASE_CONNECTION_BUDGET || 40);
module.exports.REQUIRED_QUOTA = REQUIRED_QUOTA;
module.exports.split = split;
