// Prints what the offline package produced (functions, routes, package sizes). The template's
// properties themselves are checked by test/deploy/template.test.ts as part of `npm test`.
const fs = require('node:fs');
const path = require('node:path');

const dir = path.join(__dirname, '..', '.serverless');
const template = JSON.parse(fs.readFileSync(path.join(dir, 'cloudformation-template-update-stack.json'), 'utf8'));
const resources = Object.entries(template.Resources);
const functions = resources.filter(([, r]) => r.Type === 'AWS::Lambda::Function');
const routes = resources.filter(([, r]) => r.Type === 'AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey);
const alarms = resources.filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm').map(([id]) => id);

for (const [id, f] of functions)
  console.log(
    `function:  ${id.replace(/LambdaFunction$/, '')} ${f.Properties.Runtime}, reserved concurrency ${f.Properties.ReservedConcurrentExecutions}`,
  );
console.log(`routes:    ${routes.join(', ')}`);
console.log(`alarms:    ${alarms.join(', ')}`);
console.log(
  `outputs:   ${Object.keys(template.Outputs)
    .filter((k) => !k.endsWith('QualifiedArn'))
    .join(', ')}`,
);
console.log(`version:   ${template.Outputs.BridgeVersion?.Value ?? '(no BridgeVersion output)'}`);
for (const zip of fs.readdirSync(dir).filter((f) => f.endsWith('.zip'))) {
  console.log(`package:   ${zip} ${(fs.statSync(path.join(dir, zip)).size / 1024).toFixed(1)} KiB`);
}
if (template.Outputs.BridgeVersion?.Value !== require('../package.json').version) {
  console.error("template check failed: the BridgeVersion output must be package.json's version");
  process.exit(1);
}
if (!functions.every(([, f]) => f.Properties.Runtime === 'nodejs24.x')) {
  console.error('template check failed: every function must run on nodejs24.x');
  process.exit(1);
}
