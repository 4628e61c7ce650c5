// Alarms, their SNS topic and a dashboard, resolved offline at package time. The bridge answers
// every failure with an HTTP status, so Lambda's own Errors metric stays flat when, say, a wrong
// Webim token drops every message: the alarms that matter read the bridge's own metrics, which it
// writes as CloudWatch Embedded Metric Format log lines (lib/metrics.ts).
const NAMESPACE = 'TelegramWebimBridge';

const { paramOf: fromParams } = require('./params.cjs');

/** Alarm thresholds (per 5 minutes) and the e-mail for the SNS topic; override with --param="name=value". */
const DEFAULTS = {
  alarmEmail: '',
  undeliveredThreshold: 1,
  configurationErrorThreshold: 1,
  settingsStaleThreshold: 1,
  http5xxThreshold: 10,
  functionErrorThreshold: 1,
  throttleThreshold: 1,
  /** Seconds the oldest waiting reply may have waited before the alarm (Telegram down for that long). */
  oldestReplyAgeThreshold: 300,
};

const HTTP_FUNCTIONS = ['TelegramWebhook', 'WebimCallback'];
const ALL_FUNCTIONS = [...HTTP_FUNCTIONS, 'ReplyQueue', 'Files', 'Admin', 'Migrate', 'Housekeeping'];

module.exports = async ({ options, resolveVariable }) => {
  const stage = await resolveVariable('sls:stage');
  const param = async (name) => fromParams(options, name) ?? DEFAULTS[name];
  const threshold = async (name) => {
    const value = Number(await param(name));
    if (!Number.isFinite(value) || value < 1) throw new Error(`--param="${name}=…" must be a number ≥ 1`);
    return value;
  };
  const email = String((await param('alarmEmail')) ?? '');

  const alarm = (id, description, metric, limit, extra = {}) => ({
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: `telegram-webim-bridge-${stage}-${id}`,
      AlarmDescription: description,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      Period: 300,
      Statistic: 'Sum',
      Threshold: limit,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: 'AlarmTopic' }],
      OKActions: [{ Ref: 'AlarmTopic' }],
      ...metric,
      ...extra,
    },
  });
  const bridgeMetric = (name) => ({ Namespace: NAMESPACE, MetricName: name, Dimensions: [{ Name: 'Stage', Value: stage }] });
  const lambdaMetric = (name, fn) => ({
    Namespace: 'AWS/Lambda',
    MetricName: name,
    Dimensions: [{ Name: 'FunctionName', Value: { Ref: `${fn}LambdaFunction` } }],
  });

  const Resources = {
    AlarmTopic: { Type: 'AWS::SNS::Topic', Properties: { DisplayName: `Telegram-Webim bridge ${stage} alarms` } },
    AlarmEmailSubscription: {
      Type: 'AWS::SNS::Subscription',
      Condition: 'HasAlarmEmail',
      Properties: { TopicArn: { Ref: 'AlarmTopic' }, Protocol: 'email', Endpoint: email || 'unused@example.invalid' },
    },
    UndeliveredMessagesAlarm: alarm(
      'undelivered',
      'Messages that could not be delivered (logged as message_not_delivered)',
      bridgeMetric('Failed'),
      await threshold('undeliveredThreshold'),
    ),
    ConfigurationErrorsAlarm: alarm(
      'configuration-errors',
      'A setting is missing or an upstream rejects our credentials: messages are being held',
      bridgeMetric('ConfigurationErrors'),
      await threshold('configurationErrorThreshold'),
    ),
    SettingsStaleAlarm: alarm(
      'settings-stale',
      'SSM Parameter Store is throttling or unreachable: warm functions serve their last good settings, new ones cannot start',
      bridgeMetric('SettingsStale'),
      await threshold('settingsStaleThreshold'),
    ),
    DeadLetteredRepliesAlarm: alarm(
      'dead-lettered-replies',
      'Operator replies gave up on (dead-lettered): the user did not get them; see docs for the redrive',
      {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['ReplyDeadLetterQueue', 'QueueName'] } }],
      },
      1,
      { Statistic: 'Maximum' },
    ),
    OldestWaitingReplyAlarm: alarm(
      'oldest-waiting-reply',
      'An operator reply has waited in the reply queue for longer than the threshold (Telegram failing, or the consumer not running)',
      {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['ReplyQueue', 'QueueName'] } }],
      },
      await threshold('oldestReplyAgeThreshold'),
      { Statistic: 'Maximum' },
    ),
    Http5xxAlarm: alarm(
      'http-5xx',
      'HTTP API answered 5xx (deferred deliveries, timeouts, throttling)',
      {
        Namespace: 'AWS/ApiGateway',
        MetricName: '5xx',
        Dimensions: [
          { Name: 'ApiId', Value: { Ref: 'HttpApi' } },
          { Name: 'Stage', Value: '$default' },
        ],
      },
      await threshold('http5xxThreshold'),
    ),
  };
  for (const fn of ALL_FUNCTIONS) {
    Resources[`${fn}ErrorsAlarm`] = alarm(
      `${fn.toLowerCase()}-errors`,
      `${fn} function errors (crashes, timeouts, failed one-shot actions)`,
      lambdaMetric('Errors', fn),
      await threshold('functionErrorThreshold'),
    );
  }
  for (const fn of [...HTTP_FUNCTIONS, 'ReplyQueue', 'Files']) {
    Resources[`${fn}ThrottlesAlarm`] = alarm(
      `${fn.toLowerCase()}-throttles`,
      `${fn} throttled: its reserved concurrency (the database connection budget) is exhausted`,
      lambdaMetric('Throttles', fn),
      await threshold('throttleThreshold'),
    );
  }
  Resources.Dashboard = {
    Type: 'AWS::CloudWatch::Dashboard',
    Properties: {
      DashboardName: `telegram-webim-bridge-${stage}`,
      DashboardBody: { 'Fn::Sub': JSON.stringify(dashboard(stage)) },
    },
  };
  return { Conditions: { HasAlarmEmail: { 'Fn::Not': [{ 'Fn::Equals': [email, ''] }] } }, Resources };
};

function dashboard(stage) {
  const widget = (title, metrics, x, y) => ({
    type: 'metric',
    x,
    y,
    width: 12,
    height: 6,
    properties: { title, region: '${AWS::Region}', stat: 'Sum', period: 300, view: 'timeSeries', metrics },
  });
  const byDirection = (name) =>
    ['telegram_to_webim', 'webim_to_telegram'].map((direction) => [NAMESPACE, name, 'Stage', stage, 'Direction', direction]);
  return {
    widgets: [
      widget('Relayed', byDirection('Relayed'), 0, 0),
      widget('Deferred (503, retried by the sender)', byDirection('Deferred'), 12, 0),
      widget('Not delivered', [...byDirection('Failed'), ...byDirection('Blocked')], 0, 6),
      widget('Configuration errors', [[NAMESPACE, 'ConfigurationErrors', 'Stage', stage]], 12, 6),
      {
        ...widget(
          'Upstream latency (p50, p99)',
          [
            [NAMESPACE, 'UpstreamLatency', 'Stage', stage, 'Direction', 'telegram_to_webim', { stat: 'p50' }],
            ['...', { stat: 'p99' }],
            [NAMESPACE, 'UpstreamLatency', 'Stage', stage, 'Direction', 'webim_to_telegram', { stat: 'p50' }],
            ['...', { stat: 'p99' }],
          ],
          0,
          12,
        ),
      },
      widget(
        'Reply queue: oldest waiting reply (s)',
        [['AWS/SQS', 'ApproximateAgeOfOldestMessage', 'QueueName', `telegram-webim-bridge-${stage}-replies.fifo`, { stat: 'Maximum' }]],
        0,
        18,
      ),
      widget(
        'Reply queue: waiting / dead-lettered',
        [
          [
            'AWS/SQS',
            'ApproximateNumberOfMessagesVisible',
            'QueueName',
            `telegram-webim-bridge-${stage}-replies.fifo`,
            { stat: 'Maximum' },
          ],
          [
            'AWS/SQS',
            'ApproximateNumberOfMessagesVisible',
            'QueueName',
            `telegram-webim-bridge-${stage}-replies-dead.fifo`,
            { stat: 'Maximum' },
          ],
        ],
        12,
        18,
      ),
      // Ratings users gave when a chat was closed (one record per rating counted): how many a day, and their mean (1–5).
      (() => {
        const ratings = widget(
          'Ratings per day: count, average score (1–5)',
          [
            [NAMESPACE, 'Ratings', 'Stage', stage, { stat: 'Sum', label: 'ratings' }],
            [NAMESPACE, 'RatingScore', 'Stage', stage, { stat: 'Average', label: 'average score', yAxis: 'right' }],
          ],
          0,
          24,
        );
        return { ...ratings, properties: { ...ratings.properties, period: 86400, yAxis: { right: { min: 1, max: 5 } } } };
      })(),
      widget(
        'HTTP API 4xx / 5xx',
        [
          ['AWS/ApiGateway', '4xx', 'ApiId', '${HttpApi}', 'Stage', '$default'],
          ['.', '5xx', '.', '.', '.', '.'],
        ],
        12,
        12,
      ),
    ],
  };
}
