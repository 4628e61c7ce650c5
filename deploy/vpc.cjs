// Optional VPC placement, resolved offline at package time from deploy-time params or env vars.
const { paramOf: fromParams } = require('./params.cjs');
const list = (value) =>
  value
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];

module.exports = async ({ options }) => {
  const subnetIds = list(fromParams(options, 'subnetIds') || process.env.VPC_SUBNET_IDS);
  const securityGroupIds = list(fromParams(options, 'securityGroupIds') || process.env.VPC_SECURITY_GROUP_IDS);
  if (!subnetIds.length && !securityGroupIds.length) return null;
  if (!subnetIds.length || !securityGroupIds.length) {
    throw new Error('VPC placement needs both subnetIds and securityGroupIds');
  }
  return { subnetIds, securityGroupIds };
};
