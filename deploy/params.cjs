// The value of a deploy-time parameter (--param="name=value"): everything after the first "=",
// so a value may itself hold one (a URL's query string). Given twice, the last one counts, as in
// Serverless's own ${param:…}: both readings of one command must agree. Undefined when not given.
const paramOf = (options, name) => {
  let value;
  for (const given of [].concat(options.param || [])) {
    const text = String(given);
    const at = text.indexOf('=');
    if (at > 0 && text.slice(0, at) === name) value = text.slice(at + 1);
  }
  return value;
};

module.exports = { paramOf };
