// Least-privilege IAM for the bridge's functions, resolved offline at package time.
// kms:Decrypt is added only when SecureStrings use a customer-managed key: set SSM_KMS_KEY_ARN
// (or --param="kmsKeyArn=arn:aws:kms:…") when deploying. The AWS-managed aws/ssm key needs none.
const fromParams = (options, name) =>
  [].concat(options.param || []).map((p) => String(p).split('=')).find(([k]) => k === name)?.[1];

module.exports = async ({ options, resolveVariable }) => {
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  const region = await resolveVariable('self:provider.region');
  const prefix = `arn:aws:ssm:${region}:*:parameter/${service}/${stage}`;
  const statements = [
    { Effect: 'Allow', Action: ['ssm:GetParametersByPath'], Resource: [prefix, `${prefix}/*`] },
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
