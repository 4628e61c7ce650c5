// Checks the packaged CloudFormation template: four functions, both HTTP routes, scoped IAM.
const fs = require('node:fs');
const path = require('node:path');

const dir = path.join(__dirname, '..', '.serverless');
const template = JSON.parse(fs.readFileSync(path.join(dir, 'cloudformation-template-update-stack.json'), 'utf8'));
const resources = Object.entries(template.Resources);
const functions = resources.filter(([, r]) => r.Type === 'AWS::Lambda::Function').map(([id]) => id.replace(/LambdaFunction$/, ''));
const routes = resources.filter(([, r]) => r.Type === 'AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey);
const statements = template.Resources.IamRoleLambdaExecution.Properties.Policies[0].PolicyDocument.Statement;
const ssm = statements.find((s) => s.Action.includes('ssm:GetParametersByPath'));

const problems = [];
for (const f of ['TelegramWebhook', 'WebimCallback', 'RegisterWebhook', 'Migrate']) if (!functions.includes(f)) problems.push(`missing function ${f}`);
for (const r of ['POST /telegram-webhook', 'POST /webim-callback']) if (!routes.includes(r)) problems.push(`missing route ${r}`);
if (!ssm || ssm.Resource.some((arn) => !/:parameter\/telegram-webim-bridge\/[^/*]+(\/\*)?$/.test(arn))) problems.push('ssm:GetParametersByPath is not scoped to the stage prefix');
if (statements.some((s) => [].concat(s.Action).some((a) => a === '*' || a.endsWith(':*')))) problems.push('wildcard IAM action');

console.log(`functions: ${functions.join(', ')}`);
console.log(`routes:    ${routes.join(', ')}`);
for (const zip of fs.readdirSync(dir).filter((f) => f.endsWith('.zip'))) {
  console.log(`package:   ${zip} ${(fs.statSync(path.join(dir, zip)).size / 1024).toFixed(1)} KiB`);
}
if (problems.length) {
  console.error(`template check failed:\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log('template check passed');
