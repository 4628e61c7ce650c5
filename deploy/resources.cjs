// Every CloudFormation resource beyond the functions: monitoring (alarms, topic, dashboard) and the
// reply queue, merged for serverless.yml's one `resources.Resources` key.
const monitoring = require('./monitoring.cjs');
const queue = require('./queue.cjs');

module.exports = async (context) => {
  const [m, q] = await Promise.all([monitoring(context), queue(context)]);
  return { Conditions: m.Conditions, Resources: { ...q.Resources, ...m.Resources } };
};
