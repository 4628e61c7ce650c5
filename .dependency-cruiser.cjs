// The layering, bottom to top, held in CI by `npm run lint` (dependency-cruiser). A module may
// import from its own layer and the layers below it, never from above; no import circles.
//
//   core      lib/core, lib/i18n, lib/log.ts, lib/metrics.ts
//                                                       shared words: outcomes, directions, failure kinds; the
//                                                       catalogue of what the bridge says; logging, metrics
//   plumbing  lib/db, lib/http, lib/aws                 database and HTTP plumbing
//   adapters  lib/telegram, lib/webim, lib/settings, lib/queue
//   app       lib/app, lib/files, lib/alerts            runtime, the route wrapper, clients built once; its services
//   relay     lib/relay                                 the use-cases
//   admin     lib/admin
//   functions functions/                                the Lambda handlers
//   top       local/, bench/, chaos/, scripts/          local server and sandbox, benchmarks, the chaos run, CLIs
const LAYERS = [
  ['core', '^lib/(core/|i18n/|log\\.ts$|metrics\\.ts$)'],
  ['plumbing', '^lib/(db|http|aws)/'],
  ['adapters', '^lib/(telegram|webim|settings|queue)/'],
  ['app', '^lib/(app|files|alerts)/'],
  ['relay', '^lib/relay/'],
  ['admin', '^lib/admin/'],
  ['functions', '^functions/'],
  ['top', '^(local|bench|chaos|scripts)/'],
];
// Loopback fakes of Telegram, Webim, SSM and SQS for tests, the bench and the sandbox: dev only.
const FAKES = '^fakes/';

const forbidden = [
  { name: 'no-circular', severity: 'error', comment: 'Import circles hide the layering.', from: {}, to: { circular: true } },
  {
    name: 'no-test-code-outside-tests',
    severity: 'error',
    comment: 'Only tests import test support; shared fakes live in fakes/.',
    from: { pathNot: '^test/' },
    to: { path: '^test/' },
  },
  {
    name: 'chaos-run-is-a-leaf',
    severity: 'error',
    comment: 'The chaos run (chaos/) is an instrument on top: only its own tests import it.',
    from: { pathNot: '^(chaos|test)/' },
    to: { path: '^chaos/' },
  },
  {
    name: 'no-fakes-in-production-code',
    severity: 'error',
    comment: 'lib/ and functions/ are what Lambda runs: no fake in them.',
    from: { path: '^(lib|functions)/' },
    to: { path: FAKES },
  },
  {
    name: 'no-fakes-importing-up',
    severity: 'error',
    comment: 'fakes/ serve tests, the bench and the sandbox: they may use lib/ and each other, never the layers above them.',
    from: { path: FAKES },
    to: { path: '^(functions|local|bench|scripts)/' },
  },
  ...LAYERS.map(([name, from], i) => ({
    name: `layer-${name}`,
    severity: 'error',
    comment: `${name} may import only from its own layer and the ones below it.`,
    from: { path: from },
    to: {
      path:
        LAYERS.slice(i + 1)
          .map(([, p]) => `(${p})`)
          .join('|') || '^$',
    },
  })),
];

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|\\.serverless|bench/\\.build|bench/results|test-artifacts)' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.cjs', '.mjs'] },
  },
};
