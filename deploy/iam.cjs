// Least-privilege IAM for the bridge's functions, resolved offline at package time.
// kms:Decrypt is added only when SecureStrings use a customer-managed key: set SSM_KMS_KEY_ARN
// (or --param="kmsKeyArn=arn:aws:kms:…") when deploying. The AWS-managed aws/ssm key needs none.
const { paramOf: fromParams } = require('./params.cjs');

module.exports = async ({ options, resolveVariable }) => {
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  const region = await resolveVariable('self:provider.region');
  const prefix = `arn:aws:ssm:${region}:*:parameter/${service}/${stage}`;
  const statements = [
    { Effect: 'Allow', Action: ['ssm:GetParametersByPath'], Resource: [prefix, `${prefix}/*`] },
    // The reply queue: the callback hands replies to it, the consumer puts one back behind an
    // earlier reply or moves it to the dead-letter queue, and sets a retry's backoff; the doctor
    // reads the depths. Receiving and deleting are granted by the event source mapping itself.
    {
      Effect: 'Allow',
      Action: ['sqs:SendMessage'],
      Resource: [{ 'Fn::GetAtt': ['ReplyQueue', 'Arn'] }, { 'Fn::GetAtt': ['ReplyDeadLetterQueue', 'Arn'] }],
    },
    { Effect: 'Allow', Action: ['sqs:ChangeMessageVisibility'], Resource: [{ 'Fn::GetAtt': ['ReplyQueue', 'Arn'] }] },
    {
      Effect: 'Allow',
      Action: ['sqs:GetQueueAttributes'],
      Resource: [{ 'Fn::GetAtt': ['ReplyQueue', 'Arn'] }, { 'Fn::GetAtt': ['ReplyDeadLetterQueue', 'Arn'] }],
    },
  ];
  const kmsKeyArn = fromParams(options, 'kmsKeyArn') || process.env.SSM_KMS_KEY_ARN;
  if (kmsKeyArn) {
    statements.push({
      Effect: 'Allow',
      Action: ['kms:Decrypt'],
      Resource: [kmsKeyArn],
      Condition: { StringEquals: { 'kms:ViaService': `ssm.${region}.amazonaws.com` } },
    });
  }
  return statements;
};
