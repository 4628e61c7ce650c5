// The monthly cost table of docs/deploy.md, computed here so its arithmetic cannot drift:
// `node deploy/costs.cjs` prints it, and test/docs/deploy-figures.test.ts checks the page shows
// exactly this. Prices are AWS's on-demand list prices in us-east-1 as published in December
// 2026; the per-message figures marked `estimate` are ours (see docs/deploy.md).

const REGION = 'us-east-1';
const TAKEN = 'December 2026';
const HOURS = 730; // AWS's hours in a month

const PRICES = {
  lambdaRequestsPerMillion: 0.2,
  lambdaArmGbSecond: 0.0000133334,
  httpApiPerMillion: 1.0,
  sqsFifoPerMillion: 0.5,
  cloudwatchLogsIngestPerGb: 0.5,
  alarmPerMonth: 0.1,
  dashboardPerMonth: 3.0,
  rdsT4gMicroPerHour: 0.016,
  rdsGp3PerGbMonth: 0.115,
  auroraServerlessV2AcuHour: 0.12,
  auroraStoragePerGbMonth: 0.1,
  natGatewayPerHour: 0.045,
  natGatewayPerGb: 0.045,
  interfaceEndpointPerAzHour: 0.01,
};

/** Per message and per month, our estimates (not prices). */
const ESTIMATES = {
  /** Billed Lambda time per message at 256 MB, waiting on Telegram or Webim included. */
  lambdaSecondsPerMessage: 0.2,
  lambdaGb: 0.25,
  /** Log bytes per message: the bridge's JSON lines, the metrics record, Lambda's REPORT, the access log. */
  logBytesPerMessage: 3000,
  /** Bytes through the NAT gateway per message (requests to Telegram, Webim, SSM). */
  natBytesPerMessage: 10_000,
  /** SQS requests a month by the event source mapping's long polling, messages or not. */
  sqsPollingRequests: 650_000,
  /** Hourly housekeeping invocations. */
  scheduledInvocations: 730,
  rdsStorageGb: 20,
};

/** CloudWatch alarms the template creates; test/deploy/deployer-policy.test.ts counts them in the package. */
const ALARMS = 17;
const SIZES = [100, 10_000, 1_000_000];

const usd = (n) => (n < 0.005 ? '0.00' : n.toFixed(2));

function monthly(messages) {
  const p = PRICES;
  const e = ESTIMATES;
  const invocations = messages + e.scheduledInvocations;
  const lambda = (invocations / 1e6) * p.lambdaRequestsPerMillion + messages * e.lambdaSecondsPerMessage * e.lambdaGb * p.lambdaArmGbSecond;
  const api = (messages / 1e6) * p.httpApiPerMillion;
  const sqs = (e.sqsPollingRequests / 1e6) * p.sqsFifoPerMillion;
  const logs = ((messages * e.logBytesPerMessage) / 1e9) * p.cloudwatchLogsIngestPerGb;
  const monitoring = ALARMS * p.alarmPerMonth + p.dashboardPerMonth;
  const rds = p.rdsT4gMicroPerHour * HOURS + e.rdsStorageGb * p.rdsGp3PerGbMonth;
  const nat = p.natGatewayPerHour * HOURS + ((messages * e.natBytesPerMessage) / 1e9) * p.natGatewayPerGb;
  return { lambda, api, sqs, logs, monitoring, rds, nat };
}

/** The markdown table, as docs/deploy.md shows it. */
function render() {
  const rows = SIZES.map((n) => ({ n, ...monthly(n) }));
  const line = (cells) => `| ${cells.join(' | ')} |`;
  const out = [
    line([
      'messages / month',
      'Lambda',
      'HTTP API',
      'SQS',
      'CloudWatch Logs',
      'alarms + dashboard',
      'RDS db.t4g.micro',
      'NAT gateway (1 AZ)',
      'total',
    ]),
    line(Array(9).fill('---:')),
  ];
  for (const r of rows) {
    const total = r.lambda + r.api + r.sqs + r.logs + r.monitoring + r.rds + r.nat;
    out.push(
      line([
        r.n.toLocaleString('en-US'),
        usd(r.lambda),
        usd(r.api),
        usd(r.sqs),
        usd(r.logs),
        usd(r.monitoring),
        usd(r.rds),
        usd(r.nat),
        usd(total),
      ]),
    );
  }
  const aurora = 0.5 * PRICES.auroraServerlessV2AcuHour * HOURS + ESTIMATES.rdsStorageGb * PRICES.auroraStoragePerGbMonth;
  const endpoint = PRICES.interfaceEndpointPerAzHour * HOURS;
  return [
    `USD per month, ${REGION} on-demand list prices as published in ${TAKEN}, before any free tier.`,
    '',
    ...out,
    '',
    `- **Aurora Serverless v2** instead of RDS: ${usd(aurora)} at its 0.5 ACU floor (${PRICES.auroraServerlessV2AcuHour} USD per ACU-hour) plus I/O; it only pays off above what a db.t4g.micro carries.`,
    '- **An external PostgreSQL** (reachable over the internet with TLS): no RDS and no NAT line; you pay its provider, and the functions run without a VPC.',
    `- **VPC endpoints** do not replace the NAT gateway (Telegram and Webim are on the internet); each interface endpoint adds ${usd(endpoint)} per AZ.`,
    `- Lambda (1 million requests and 400 000 GB-seconds a month) and CloudWatch (10 alarms, 3 dashboards, 5 GB of logs) have free tiers that make the small rows cheaper still; a new account may have RDS free-tier credit too.`,
    `- Estimates of ours, not prices: ${ESTIMATES.lambdaSecondsPerMessage} s of billed Lambda time per message at 256 MB, ${ESTIMATES.logBytesPerMessage / 1000} KB of logs and ${ESTIMATES.natBytesPerMessage / 1000} KB through NAT per message, ${ESTIMATES.sqsPollingRequests.toLocaleString('en-US')} SQS requests a month of long polling, ${ESTIMATES.rdsStorageGb} GB of storage. Other regions differ: eu-central-1 is a few percent dearer (NAT 0.052 USD per hour, for instance).`,
  ].join('\n');
}

module.exports = { PRICES, ESTIMATES, ALARMS, SIZES, monthly, render, REGION, TAKEN };
if (require.main === module) console.log(render());
