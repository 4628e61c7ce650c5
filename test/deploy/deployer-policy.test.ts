import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);

type Resource = { Type: string; Properties: Record<string, unknown> };
interface Template {
  Resources: Record<string, Resource>;
  Outputs: Record<string, { Value: unknown }>;
}
interface Statement {
  Effect: 'Allow';
  Action: string[];
  Resource: string | string[];
}

const STAGE = 'ci';
const STACK = `telegram-webim-bridge-${STAGE}`;
const REGION = 'eu-central-1';
const ACCOUNT = '123456789012';

/**
 * What CloudFormation (and `serverless deploy`) calls for each resource type of the template, as
 * the resource types' handlers and the services' pages list them: create, read, update, delete
 * and tag. A type the template gains without an entry here fails the test, so the policy is
 * reviewed with every new kind of resource.
 */
const ACTIONS_BY_TYPE: Record<string, string[]> = {
  'AWS::S3::Bucket': [
    's3:CreateBucket',
    's3:DeleteBucket',
    's3:PutEncryptionConfiguration',
    's3:GetEncryptionConfiguration',
    's3:PutBucketTagging',
    's3:ListBucket',
    's3:PutObject',
    's3:GetObject',
    's3:DeleteObject',
  ],
  'AWS::S3::BucketPolicy': ['s3:PutBucketPolicy', 's3:GetBucketPolicy', 's3:DeleteBucketPolicy'],
  'AWS::Logs::LogGroup': [
    'logs:CreateLogGroup',
    'logs:DeleteLogGroup',
    'logs:PutRetentionPolicy',
    'logs:DeleteRetentionPolicy',
    'logs:DescribeLogGroups',
    'logs:TagResource',
    'logs:ListTagsForResource',
  ],
  'AWS::IAM::Role': [
    'iam:CreateRole',
    'iam:GetRole',
    'iam:DeleteRole',
    'iam:PutRolePolicy',
    'iam:GetRolePolicy',
    'iam:DeleteRolePolicy',
    'iam:ListRolePolicies',
    'iam:AttachRolePolicy',
    'iam:DetachRolePolicy',
    'iam:ListAttachedRolePolicies',
    'iam:TagRole',
    'iam:UntagRole',
  ],
  'AWS::Lambda::Function': [
    'lambda:CreateFunction',
    'lambda:GetFunction',
    'lambda:GetFunctionConfiguration',
    'lambda:UpdateFunctionCode',
    'lambda:UpdateFunctionConfiguration',
    'lambda:DeleteFunction',
    'lambda:PutFunctionConcurrency',
    'lambda:DeleteFunctionConcurrency',
    'lambda:GetFunctionConcurrency',
    'lambda:GetRuntimeManagementConfig',
    'lambda:GetFunctionCodeSigningConfig',
    'lambda:GetFunctionRecursionConfig',
    'lambda:TagResource',
    'lambda:UntagResource',
    'lambda:ListTags',
    'iam:PassRole',
  ],
  'AWS::Lambda::Version': [
    'lambda:PublishVersion',
    'lambda:ListVersionsByFunction',
    'lambda:GetFunctionConfiguration',
    'lambda:DeleteFunction',
  ],
  'AWS::Lambda::Url': [
    'lambda:CreateFunctionUrlConfig',
    'lambda:GetFunctionUrlConfig',
    'lambda:UpdateFunctionUrlConfig',
    'lambda:DeleteFunctionUrlConfig',
  ],
  'AWS::Lambda::Permission': ['lambda:AddPermission', 'lambda:RemovePermission', 'lambda:GetPolicy'],
  'AWS::Lambda::EventSourceMapping': [
    'lambda:CreateEventSourceMapping',
    'lambda:GetEventSourceMapping',
    'lambda:UpdateEventSourceMapping',
    'lambda:DeleteEventSourceMapping',
    'lambda:ListEventSourceMappings',
  ],
  'AWS::Events::Rule': [
    'events:PutRule',
    'events:DescribeRule',
    'events:DeleteRule',
    'events:PutTargets',
    'events:RemoveTargets',
    'events:ListTargetsByRule',
  ],
  'AWS::ApiGatewayV2::Api': [
    'apigateway:POST',
    'apigateway:GET',
    'apigateway:PATCH',
    'apigateway:PUT',
    'apigateway:DELETE',
    'apigateway:TagResource',
  ],
  'AWS::ApiGatewayV2::Stage': ['apigateway:POST', 'apigateway:GET', 'apigateway:PATCH', 'apigateway:DELETE'],
  'AWS::ApiGatewayV2::Integration': ['apigateway:POST', 'apigateway:GET', 'apigateway:PATCH', 'apigateway:DELETE'],
  'AWS::ApiGatewayV2::Route': ['apigateway:POST', 'apigateway:GET', 'apigateway:PATCH', 'apigateway:DELETE'],
  'AWS::SQS::Queue': [
    'sqs:CreateQueue',
    'sqs:GetQueueUrl',
    'sqs:GetQueueAttributes',
    'sqs:SetQueueAttributes',
    'sqs:DeleteQueue',
    'sqs:TagQueue',
    'sqs:UntagQueue',
    'sqs:ListQueueTags',
  ],
  'AWS::SNS::Topic': [
    'sns:CreateTopic',
    'sns:GetTopicAttributes',
    'sns:SetTopicAttributes',
    'sns:DeleteTopic',
    'sns:TagResource',
    'sns:ListTagsForResource',
  ],
  'AWS::SNS::Subscription': [
    'sns:Subscribe',
    'sns:Unsubscribe',
    'sns:GetSubscriptionAttributes',
    'sns:SetSubscriptionAttributes',
    'sns:ListSubscriptionsByTopic',
  ],
  'AWS::CloudWatch::Alarm': [
    'cloudwatch:PutMetricAlarm',
    'cloudwatch:DescribeAlarms',
    'cloudwatch:DeleteAlarms',
    'cloudwatch:TagResource',
    'cloudwatch:ListTagsForResource',
  ],
  'AWS::CloudWatch::Dashboard': ['cloudwatch:PutDashboard', 'cloudwatch:GetDashboard', 'cloudwatch:DeleteDashboards'],
};

/** The ARN CloudFormation gives a resource, from its explicit name or the name it generates (stack-LogicalId-SUFFIX). */
function arnOf(id: string, r: Resource): string {
  const p = r.Properties ?? {};
  const generated = `${STACK}-${id}-1A2B3C4D5E6F`;
  switch (r.Type) {
    case 'AWS::S3::Bucket':
    case 'AWS::S3::BucketPolicy':
      return `arn:aws:s3:::${generated.toLowerCase()}`;
    case 'AWS::Logs::LogGroup':
      return `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${resolve(p.LogGroupName)}:*`;
    case 'AWS::IAM::Role':
      return `arn:aws:iam::${ACCOUNT}:role/${resolve(p.RoleName)}`;
    case 'AWS::Lambda::Function':
      return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${resolve(p.FunctionName)}`;
    case 'AWS::Lambda::Version':
    case 'AWS::Lambda::Url':
    case 'AWS::Lambda::Permission': {
      const target = (p.FunctionName ?? p.TargetFunctionArn) as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
      const fn = target.Ref ?? target['Fn::GetAtt']?.[0];
      return arnOf(fn as string, template().Resources[fn as string] as Resource);
    }
    case 'AWS::Lambda::EventSourceMapping':
      return `arn:aws:lambda:${REGION}:${ACCOUNT}:event-source-mapping:0f9e8d7c-6b5a-4321-8765-43210fedcba9`;
    case 'AWS::Events::Rule':
      return `arn:aws:events:${REGION}:${ACCOUNT}:rule/${generated}`;
    case 'AWS::ApiGatewayV2::Api':
      return `arn:aws:apigateway:${REGION}::/apis/abcd1234ef`;
    case 'AWS::ApiGatewayV2::Stage':
      return `arn:aws:apigateway:${REGION}::/apis/abcd1234ef/stages/$default`;
    case 'AWS::ApiGatewayV2::Integration':
      return `arn:aws:apigateway:${REGION}::/apis/abcd1234ef/integrations/a1b2c3d`;
    case 'AWS::ApiGatewayV2::Route':
      return `arn:aws:apigateway:${REGION}::/apis/abcd1234ef/routes/r1b2c3d`;
    case 'AWS::SQS::Queue':
      return `arn:aws:sqs:${REGION}:${ACCOUNT}:${resolve(p.QueueName)}`;
    case 'AWS::SNS::Topic':
      return `arn:aws:sns:${REGION}:${ACCOUNT}:${generated}`;
    case 'AWS::SNS::Subscription':
      return `arn:aws:sns:${REGION}:${ACCOUNT}:${STACK}-AlarmTopic-1A2B3C4D5E6F`;
    case 'AWS::CloudWatch::Alarm':
      return `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${resolve(p.AlarmName)}`;
    case 'AWS::CloudWatch::Dashboard':
      return `arn:aws:cloudwatch::${ACCOUNT}:dashboard/${resolve(p.DashboardName)}`;
    default:
      throw new Error(`no ARN known for ${r.Type}`);
  }
}

/** Resolves the intrinsic functions the template's names use (Join, Ref of pseudo parameters, Sub). */
function resolve(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (v?.Ref === 'AWS::Region') return REGION;
  if (v?.Ref === 'AWS::AccountId') return ACCOUNT;
  if (v?.Ref === 'AWS::Partition') return 'aws';
  if (v?.['Fn::Join']) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(resolve).join(sep);
  }
  if (typeof v?.['Fn::Sub'] === 'string')
    return (v['Fn::Sub'] as string).replace(/\$\{AWS::(\w+)\}/g, (_m, k: string) => resolve({ Ref: `AWS::${k}` }));
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

const glob = (pattern: string) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');

let packaged: Template | undefined;
const template = (): Template => packaged as Template;

/**
 * The deploying identity's policy (deploy/deployer-policy.json, shown in docs/deploy.md) held
 * against the template `serverless package` writes, with every optional feature on (VPC, alarm
 * e-mail): each resource's actions are allowed on the ARN it will have, and each feature's
 * extra permissions are there (HTTP API access logs need CloudWatch Logs log delivery on `*`).
 */
describe('the deployer policy covers the packaged template', () => {
  const policy = JSON.parse(readFileSync('deploy/deployer-policy.json', 'utf8')) as { Statement: Statement[] };
  const allows = (action: string, arn: string) =>
    policy.Statement.some(
      (s) => s.Effect === 'Allow' && s.Action.some((a) => glob(a).test(action)) && [s.Resource].flat().some((r) => glob(r).test(arn)),
    );

  beforeAll(() => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bridge-policy-'));
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: mkdtempSync(path.join(tmpdir(), 'home-')) };
    for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete env[key];
    execFileSync(
      process.execPath,
      [
        require.resolve('osls/bin/serverless.js'),
        'package',
        '--stage',
        STAGE,
        '--package',
        dir,
        '--param=subnetIds=subnet-a,subnet-b',
        '--param=securityGroupIds=sg-lambda',
        '--param=alarmEmail=ops@example.com',
      ],
      { env, stdio: 'pipe', timeout: 170_000 },
    );
    packaged = JSON.parse(readFileSync(path.join(dir, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
    expect(readdirSync(dir).some((f) => f.endsWith('.zip'))).toBe(true);
  }, 180_000);

  it('knows every resource type of the template', () => {
    const types = new Set(Object.values(template().Resources).map((r) => r.Type));
    expect([...types].filter((t) => !ACTIONS_BY_TYPE[t])).toEqual([]);
  });

  it("allows each resource's actions on the ARN it will have", () => {
    const missing: string[] = [];
    for (const [id, r] of Object.entries(template().Resources)) {
      const arn = arnOf(id, r);
      for (const action of ACTIONS_BY_TYPE[r.Type] ?? []) {
        // iam:PassRole is checked against the role the function is given, not the function.
        const target =
          action === 'iam:PassRole' ? arnOf('IamRoleLambdaExecution', template().Resources.IamRoleLambdaExecution as Resource) : arn;
        if (!allows(action, target)) missing.push(`${id} (${r.Type}): ${action} on ${target}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('allows what each feature needs beyond its resources', () => {
    const resources = Object.values(template().Resources);
    const features: [string, boolean, string[], string][] = [
      [
        'HTTP API access logs (CloudWatch Logs log delivery)',
        resources.some((r) => r.Type === 'AWS::ApiGatewayV2::Stage' && r.Properties.AccessLogSettings),
        [
          'logs:CreateLogDelivery',
          'logs:GetLogDelivery',
          'logs:UpdateLogDelivery',
          'logs:DeleteLogDelivery',
          'logs:ListLogDeliveries',
          'logs:PutResourcePolicy',
          'logs:DescribeResourcePolicies',
          'logs:DescribeLogGroups',
        ],
        '*',
      ],
      [
        'functions in a VPC (Lambda checks the caller may see the network)',
        resources.some((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.VpcConfig),
        ['ec2:DescribeSecurityGroups', 'ec2:DescribeSubnets', 'ec2:DescribeVpcs'],
        '*',
      ],
      ['alarms and the dashboard (no resource-level names for Describe)', true, ['cloudwatch:DescribeAlarms'], '*'],
      ['serverless deploy: template validation', true, ['cloudformation:ValidateTemplate'], '*'],
      [
        'serverless deploy: the stack',
        true,
        [
          'cloudformation:CreateStack',
          'cloudformation:UpdateStack',
          'cloudformation:DescribeStackEvents',
          'cloudformation:DescribeStackResource',
          'cloudformation:ListStackResources',
          'cloudformation:GetTemplate',
          'cloudformation:CreateChangeSet',
          'cloudformation:ExecuteChangeSet',
          'cloudformation:DescribeChangeSet',
          'cloudformation:DeleteChangeSet',
          'cloudformation:DeleteStack',
        ],
        `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${STACK}/0f9e8d7c-6b5a-4321-8765-43210fedcba9`,
      ],
      [
        'the deploy hook invokes the admin function',
        true,
        ['lambda:InvokeFunction'],
        arnOf('AdminLambdaFunction', template().Resources.AdminLambdaFunction as Resource),
      ],
      [
        'settings in SSM under the stage prefix',
        true,
        ['ssm:PutParameter', 'ssm:GetParametersByPath', 'ssm:DeleteParameter'],
        `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/telegram-webim-bridge/${STAGE}/TELEGRAM_BOT_TOKEN`,
      ],
    ];
    const missing = features.flatMap(([name, on, actions, arn]) =>
      on ? actions.filter((a) => !allows(a, arn)).map((a) => `${name}: ${a} on ${arn}`) : [],
    );
    expect(features.filter(([, on]) => !on).map(([name]) => name)).toEqual([]); // every feature is on in this package
    expect(missing).toEqual([]);
  });

  it("grants nothing on another service's resources: every named resource belongs to telegram-webim-bridge", () => {
    for (const s of policy.Statement)
      for (const r of [s.Resource].flat())
        expect(r === '*' || r.includes('telegram-webim-bridge') || r.startsWith('arn:aws:apigateway:'), r).toBe(true);
  });

  it('is the policy docs/deploy.md shows', () => {
    const doc = readFileSync('docs/deploy.md', 'utf8');
    const block = /## Deployer IAM policy[\s\S]*?```json\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(block, 'docs/deploy.md has a json block under "Deployer IAM policy"').toBeDefined();
    expect(JSON.parse(block as string)).toEqual(policy);
  });

  it("names the release it runs: the BridgeVersion output and BRIDGE_VERSION are package.json's version, which CHANGELOG.md describes", () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(template().Outputs.BridgeVersion?.Value).toBe(version);
    const env = (template().Resources.AdminLambdaFunction?.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env.BRIDGE_VERSION).toBe(version);
    expect(readFileSync('CHANGELOG.md', 'utf8')).toMatch(new RegExp(`^## ${version.replace(/\./g, '\\.')} `, 'm'));
  });

  it("prices as many alarms in docs/deploy.md's cost table as the template creates", () => {
    const { ALARMS } = require('../../deploy/costs.cjs') as { ALARMS: number };
    expect(Object.values(template().Resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm')).toHaveLength(ALARMS);
  });
});
