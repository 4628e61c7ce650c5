// The value of a deploy-time parameter (--param="name=value"): everything after the first "=",
// so a value may itself hold one (a URL's query string). Undefined when not given.
const paramOf = (options, name) => {
  for (const given of [].concat(options.param || [])) {
    const text = String(given);
    const at = text.indexOf('=');
    if (at > 0 && text.slice(0, at) === name) return text.slice(at + 1);
  }
  return undefined;
};

module.exports = { paramOf };
