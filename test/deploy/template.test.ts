import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REDRIVE_MAX_RECEIVES } from '../../lib/queue/reply-queue';

const require = createRequire(import.meta.url);
const { split } = require('../../deploy/budget.cjs') as {
  split: (budget: number) => { webhook: number; callback: number; files: number; replies: number };
};
const queueSettings = require('../../deploy/queue-settings.cjs') as {
  CONSUMER_TIMEOUT_SECONDS: number;
  QUEUE_MAX_ATTEMPTS: number;
  BATCH_SIZE: number;
  REDRIVE_MAX_RECEIVES: number;
};

type Resource = { Type: string; Properties: Record<string, unknown>; Condition?: string };
interface Template {
  Resources: Record<string, Resource>;
  Outputs: Record<string, { Value: unknown }>;
}

/**
 * `serverless package` run for real, offline and without AWS credentials (as CI and a first-time
 * user run it), and the CloudFormation template it writes checked for what a safe stage needs.
 */
describe('packaged template (serverless package, offline)', () => {
  let dir: string;
  let template: Template;
  const byType = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'bridge-package-'));
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: mkdtempSync(path.join(tmpdir(), 'home-')) };
    for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete env[key];
    execFileSync(process.execPath, [require.resolve('osls/bin/serverless.js'), 'package', '--stage', 'ci', '--package', dir], {
      env,
      stdio: 'pipe',
      timeout: 170_000,
    });
    template = JSON.parse(readFileSync(path.join(dir, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
  }, 180_000);

  it('alarms on exactly the bridge metrics the fault tests check each fault writes (test/support/metrics)', async () => {
    const { alarmMetricNames } = await import('../support/metrics');
    const packaged = byType('AWS::CloudWatch::Alarm')
      .map(([, a]) => a.Properties as { Namespace?: string; MetricName?: string })
      .filter((p) => p.Namespace === 'TelegramWebimBridge')
      .map((p) => p.MetricName);
    expect(packaged.sort()).toEqual((await alarmMetricNames()).sort());
    expect(packaged).toEqual(expect.arrayContaining(['ConfigurationErrors', 'Failed', 'SettingsStale']));
  });

  it('runs every function on Node.js 24', () => {
    const functions = byType('AWS::Lambda::Function');
    expect(functions.map(([id]) => id).sort()).toEqual([
      'AdminLambdaFunction',
      'FilesLambdaFunction',
      'HousekeepingLambdaFunction',
      'MigrateLambdaFunction',
      'ReplyQueueLambdaFunction',
      'TelegramWebhookLambdaFunction',
      'WebimCallbackLambdaFunction',
    ]);
    for (const [, f] of functions) expect(f.Properties.Runtime).toBe('nodejs24.x');
  });

  it('caps every function with reserved concurrency within the database connection budget', () => {
    const reserved = byType('AWS::Lambda::Function').map(([, f]) => f.Properties.ReservedConcurrentExecutions as number);
    expect(reserved.every((n) => Number.isInteger(n) && n >= 1)).toBe(true);
    expect(reserved.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(40);
    expect(template.Resources.TelegramWebhookLambdaFunction?.Properties.ReservedConcurrentExecutions).toBe(split(40).webhook);
    // A desk opening a conversation loads several images at once; throttling them shows as an alarm.
    expect(template.Resources.FilesLambdaFunction?.Properties.ReservedConcurrentExecutions).toBe(6);
    expect(template.Resources.FilesThrottlesAlarm?.Properties.MetricName).toBe('Throttles');
    const env = (template.Resources.AdminLambdaFunction?.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env.WEBHOOK_RESERVED_CONCURRENCY).toBe(String(split(40).webhook)); // setWebhook's max_connections is capped to it
  });

  it("leaves Webim's address to SSM unless the deploy names it (--param=webimApiUrl)", () => {
    for (const [id, f] of byType('AWS::Lambda::Function')) {
      const env = (f.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(env.WEBIM_API_URL, id).toBe(''); // empty: the bridge reads it as unset, so SSM's value applies
    }
  });

  it('outputs the webhook and callback URLs, with no secret in them', () => {
    for (const name of ['TelegramWebhookUrl', 'WebimCallbackUrl']) {
      const value = JSON.stringify(template.Outputs[name]?.Value);
      expect(value).toContain('execute-api');
      expect(value).not.toMatch(/secret|token/i);
    }
    expect(JSON.stringify(template.Outputs.TelegramWebhookUrl?.Value)).toContain('/telegram-webhook');
    expect(JSON.stringify(template.Outputs.WebimCallbackUrl?.Value)).toContain('/webim-callback');
  });

  it('alarms on undelivered messages, configuration errors, HTTP 5xx, function errors and throttles, to an SNS topic', () => {
    const alarms = byType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    const metrics = alarms.map((a) => `${a.Namespace as string}/${a.MetricName as string}`);
    expect(metrics).toEqual(
      expect.arrayContaining([
        'TelegramWebimBridge/Failed',
        'TelegramWebimBridge/ConfigurationErrors',
        'AWS/ApiGateway/5xx',
        'AWS/Lambda/Errors',
        'AWS/Lambda/Throttles',
      ]),
    );
    expect(metrics.filter((m) => m === 'AWS/Lambda/Errors')).toHaveLength(7);
    for (const a of alarms) expect(a.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
    expect(byType('AWS::SNS::Topic')).toHaveLength(1);
    expect(template.Resources.AlarmEmailSubscription?.Condition).toBe('HasAlarmEmail');
    expect(byType('AWS::CloudWatch::Dashboard')).toHaveLength(1);
    const dashboard = JSON.stringify(template.Resources.Dashboard?.Properties.DashboardBody);
    for (const metric of ['Ratings', 'RatingScore']) expect(dashboard).toContain(`\\"${metric}\\"`);
  });

  it('serves file links from a response-streaming function URL that the webhook function knows', () => {
    const url = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Url');
    expect(url?.Properties.InvokeMode).toBe('RESPONSE_STREAM');
    expect(url?.Properties.AuthType).toBe('NONE'); // links are sealed and expire: the token is the authorisation
    const env = (template.Resources.TelegramWebhookLambdaFunction?.Properties.Environment as { Variables: Record<string, unknown> })
      .Variables;
    expect(env.FILE_LINK_BASE_URL).toEqual({ 'Fn::GetAtt': ['FilesLambdaFunctionUrl', 'FunctionUrl'] });
  });

  it('purges delivery records on an hourly schedule', () => {
    const [rule] = byType('AWS::Events::Rule');
    expect(rule?.[1].Properties.ScheduleExpression).toBe('rate(1 hour)');
    expect(JSON.stringify(rule?.[1].Properties.Targets)).toContain('HousekeepingLambdaFunction');
  });

  it('throttles the HTTP API stage and writes access logs', () => {
    const stage = template.Resources.HttpApiStage?.Properties as {
      DefaultRouteSettings: Record<string, number>;
      AccessLogSettings?: unknown;
    };
    expect(stage.DefaultRouteSettings.ThrottlingRateLimit).toBeGreaterThan(0);
    expect(stage.DefaultRouteSettings.ThrottlingBurstLimit).toBeGreaterThan(0);
    expect(stage.AccessLogSettings).toBeDefined();
  });

  describe('the reply queue', () => {
    const props = (id: string) => template.Resources[id]?.Properties as Record<string, unknown>;

    it('is FIFO with SSE, deduplicated per message group, and redrives to an encrypted FIFO dead-letter queue', () => {
      const queue = props('ReplyQueue');
      expect(queue).toMatchObject({
        FifoQueue: true,
        ContentBasedDeduplication: false,
        SqsManagedSseEnabled: true,
        DeduplicationScope: 'messageGroup',
        FifoThroughputLimit: 'perMessageGroupId',
      });
      expect(queue.RedrivePolicy).toEqual({
        deadLetterTargetArn: { 'Fn::GetAtt': ['ReplyDeadLetterQueue', 'Arn'] },
        maxReceiveCount: REDRIVE_MAX_RECEIVES,
      });
      expect(queueSettings.REDRIVE_MAX_RECEIVES).toBe(REDRIVE_MAX_RECEIVES);
      expect(REDRIVE_MAX_RECEIVES).toBeGreaterThan(queueSettings.QUEUE_MAX_ATTEMPTS * 2);
      expect(props('ReplyDeadLetterQueue')).toMatchObject({ FifoQueue: true, SqsManagedSseEnabled: true });
      expect(String(queue.QueueName)).toMatch(/\.fifo$/);
      expect(Number(props('ReplyDeadLetterQueue').MessageRetentionPeriod)).toBe(14 * 86_400);
    });

    it("has a visibility timeout of at least six times the consumer's timeout", () => {
      const consumer = props('ReplyQueueLambdaFunction');
      expect(consumer.Timeout).toBe(queueSettings.CONSUMER_TIMEOUT_SECONDS);
      expect(Number(props('ReplyQueue').VisibilityTimeout)).toBeGreaterThanOrEqual(6 * Number(consumer.Timeout));
    });

    it('feeds the consumer through an event source mapping with partial batch failures, its concurrency inside the connection budget', () => {
      const [, mapping] = byType('AWS::Lambda::EventSourceMapping')[0]!;
      expect(mapping.Properties).toMatchObject({
        EventSourceArn: { 'Fn::GetAtt': ['ReplyQueue', 'Arn'] },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BatchSize: 10,
        ScalingConfig: { MaximumConcurrency: split(40).replies },
      });
      expect(props('ReplyQueueLambdaFunction').ReservedConcurrentExecutions).toBe(split(40).replies);
    });

    it("lets the functions send to the stage's own queues only, and tells them where they are", () => {
      const role = template.Resources.IamRoleLambdaExecution?.Properties as {
        Policies: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } }[];
      };
      const statements = role.Policies.flatMap((p) => p.PolicyDocument.Statement);
      const send = statements.filter((s) => [s.Action].flat().includes('sqs:SendMessage'));
      expect(send).toHaveLength(1);
      expect(send[0]!.Resource).toEqual([{ 'Fn::GetAtt': ['ReplyQueue', 'Arn'] }, { 'Fn::GetAtt': ['ReplyDeadLetterQueue', 'Arn'] }]);
      const env = (props('WebimCallbackLambdaFunction').Environment as { Variables: Record<string, unknown> }).Variables;
      expect(env.REPLY_QUEUE_URL).toEqual({ Ref: 'ReplyQueue' });
      expect(env.REPLY_DEAD_LETTER_QUEUE_URL).toEqual({ Ref: 'ReplyDeadLetterQueue' });
      expect(env.QUEUE_MAX_ATTEMPTS).toBe(String(queueSettings.QUEUE_MAX_ATTEMPTS));
    });

    it('alarms on a dead-lettered reply and on the age of the oldest waiting one; the dashboard shows both', () => {
      const alarms = byType('AWS::CloudWatch::Alarm').map(
        ([, a]) => a.Properties as { MetricName: string; Namespace: string; Dimensions: { Value: unknown }[] },
      );
      expect(
        alarms.find((a) => a.Namespace === 'AWS/SQS' && a.MetricName === 'ApproximateNumberOfMessagesVisible')?.Dimensions[0]?.Value,
      ).toEqual({ 'Fn::GetAtt': ['ReplyDeadLetterQueue', 'QueueName'] });
      expect(
        alarms.find((a) => a.Namespace === 'AWS/SQS' && a.MetricName === 'ApproximateAgeOfOldestMessage')?.Dimensions[0]?.Value,
      ).toEqual({ 'Fn::GetAtt': ['ReplyQueue', 'QueueName'] });
      const dashboard = JSON.stringify(template.Resources.Dashboard?.Properties.DashboardBody);
      expect(dashboard).toContain('ApproximateAgeOfOldestMessage');
      expect(dashboard).toContain('replies-dead.fifo');
    });
  });

  it('keeps IAM least-privilege: no wildcard actions, SSM limited to the stage prefix', () => {
    const role = template.Resources.IamRoleLambdaExecution?.Properties as {
      Policies: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } }[];
    };
    const statements = role.Policies.flatMap((p) => p.PolicyDocument.Statement);
    for (const s of statements) for (const a of [s.Action].flat()) expect(a === '*' || a.endsWith(':*')).toBe(false);
    const ssm = statements.find((s) => [s.Action].flat().includes('ssm:GetParametersByPath'));
    expect(ssm).toBeDefined();
    for (const arn of ssm!.Resource as string[]) expect(arn).toMatch(/:parameter\/telegram-webim-bridge\/ci(\/\*)?$/);
  });

  it('keeps each function package under 250 KB zipped, with the migrations where they are run', () => {
    const zips = readdirSync(dir).filter((f) => f.endsWith('.zip'));
    expect(zips).toHaveLength(7);
    for (const zip of zips) expect(statSync(path.join(dir, zip)).size).toBeLessThan(250 * 1024);
    const listing = (zip: string) => execFileSync('python3', ['-m', 'zipfile', '-l', path.join(dir, zip)], { encoding: 'utf8' });
    expect(listing('admin.zip')).toContain('migrations/001_initial.sql');
    expect(listing('migrate.zip')).toContain('migrations/002_claim_scope_and_chat_order.sql');
  });
});

describe('the bench bundles as the template does', () => {
  it('bench/lambda-esbuild.ts holds the esbuild options of serverless.yml (custom.esbuild)', async () => {
    const { load } = require('js-yaml') as { load: (text: string, options?: unknown) => unknown };
    // The template's own tags (!Ref, !GetAtt, !Join) are not needed here: read them as plain values.
    const anyTag = ['scalar', 'sequence', 'mapping'].map(
      (kind) => new (require('js-yaml').Type)(`!`, { kind, multi: true, construct: (d: unknown) => d }),
    );
    const schema = require('js-yaml').DEFAULT_SCHEMA.extend(anyTag);
    const yml = load(readFileSync(path.join(__dirname, '../../serverless.yml'), 'utf8'), { schema }) as {
      custom: { esbuild: Record<string, unknown> };
    };
    const { LAMBDA_ESBUILD, LAMBDA_OUTPUT_EXTENSION } = await import('../../bench/lambda-esbuild');
    const { exclude: _exclude, packager: _packager, outputFileExtension, ...options } = yml.custom.esbuild;
    expect(options).toEqual(LAMBDA_ESBUILD);
    expect(outputFileExtension).toBe(LAMBDA_OUTPUT_EXTENSION);
  });
});
