// After `serverless deploy` has updated the stack, runs the admin function's `setup` action
// (migrate, register the Telegram webhook with the stage's own URL, doctor) and prints its report.
//
// Why a deploy hook and not a CloudFormation custom resource: the report belongs in the terminal of
// the person deploying; a failure fails `serverless deploy` with the function's own message while
// the stack stays as deployed (a custom resource that fails or never answers rolls back or holds
// the stack for up to an hour); and re-running deploy simply runs setup again, which is idempotent.
// Opt out with --param="autoSetup=false".
const { runAutoSetup } = require('./auto-setup.cjs');

class AutoSetupPlugin {
  constructor(serverless, options, { log } = {}) {
    this.serverless = serverless;
    this.options = options;
    this.log = log ?? { notice: (m) => console.log(m), error: (m) => console.error(m) };
    this.hooks = { 'after:deploy:deploy': () => this.afterDeploy() };
  }

  async afterDeploy() {
    if (this.options['function']) return; // `deploy function` updates code only
    const provider = this.serverless.getProvider('aws');
    const functionName = this.serverless.service.getFunction('admin').name;
    const params = [].concat(this.options.param || []).map((p) => String(p).split('='));
    const enabled = (params.find(([k]) => k === 'autoSetup')?.[1] ?? 'true') !== 'false';
    await runAutoSetup({
      enabled,
      invoke: (payload) => provider.request('Lambda', 'invoke', { FunctionName: functionName, Payload: JSON.stringify(payload) }),
      print: (line) => this.log.notice(line),
      fail: (message) => {
        throw new this.serverless.classes.Error(message);
      },
    });
  }
}

module.exports = AutoSetupPlugin;
