// Optional: Webim's Custom Channel endpoint as a deploy-time parameter
// (--param="webimApiUrl=https://…"). It is not a secret; in the functions' environment it lets a
// cold container open its Webim connection while the SSM read is still running, instead of after
// it (docs/performance.md). Given here it wins over the SSM parameter of the same name (env >
// SSM), so keep it in one place. Not given: the environment variable is empty, which the bridge
// reads as unset (the value then comes from SSM, as before).
const { paramOf } = require('./params.cjs');

module.exports = async ({ options }) => {
  const value = (paramOf(options, 'webimApiUrl') || '').trim();
  if (!value) return { WEBIM_API_URL: '' };
  let url;
  try {
    url = new URL(value);
  } catch {
    throw new Error(
      'webimApiUrl must be the Custom Channel endpoint, an https URL (e.g. https://youraccount.webim.ru/api/custom-channel/messages)',
    );
  }
  if (url.protocol !== 'https:') throw new Error('webimApiUrl must use https');
  // The example address of the docs and .env.example: the bridge refuses it on every request.
  if (url.hostname === 'youraccount.webim.ru') throw new Error("webimApiUrl is still the docs' example: give your account's endpoint");
  return { WEBIM_API_URL: value };
};
