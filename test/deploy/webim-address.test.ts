import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { readEnvSettings } from '../../lib/settings/sources';

const require = createRequire(import.meta.url);
const webimAddress = require('../../deploy/webim-address.cjs') as (input: {
  options: { param?: string | string[] };
}) => Promise<{ WEBIM_API_URL: string }>;
const { paramOf } = require('../../deploy/params.cjs') as {
  paramOf: (options: { param?: string | string[] }, name: string) => string | undefined;
};

describe("Webim's address as a deploy parameter", () => {
  it('puts the given https endpoint in the environment, query string and all', async () => {
    const url = 'https://acme.webim.ru/api/custom-channel/messages?channel=tg';
    await expect(webimAddress({ options: { param: ['connectionBudget=80', `webimApiUrl=${url}`] } })).resolves.toEqual({
      WEBIM_API_URL: url,
    });
    await expect(webimAddress({ options: { param: `webimApiUrl=${url}` } })).resolves.toEqual({ WEBIM_API_URL: url });
  });

  it('without it, the variable is empty, which the bridge reads as unset (SSM then decides)', async () => {
    const { WEBIM_API_URL } = await webimAddress({ options: {} });
    expect(WEBIM_API_URL).toBe('');
    expect(readEnvSettings({ WEBIM_API_URL })).toEqual({});
  });

  it('refuses what is not an https URL, before anything is deployed', async () => {
    await expect(webimAddress({ options: { param: 'webimApiUrl=acme.webim.ru' } })).rejects.toThrow(/https URL/);
    await expect(webimAddress({ options: { param: 'webimApiUrl=http://acme.webim.ru/api' } })).rejects.toThrow(/must use https/);
  });

  it("refuses the docs' example address, which the bridge would refuse on every request while it shadows SSM's", async () => {
    await expect(
      webimAddress({ options: { param: 'webimApiUrl=https://youraccount.webim.ru/api/custom-channel/messages' } }),
    ).rejects.toThrow(/example/);
  });

  it('reads a parameter up to its first "=" only, and the last one given, as Serverless reads ${param:…}', () => {
    expect(paramOf({ param: ['a=1', 'url=https://x.example/?q=1&r=2'] }, 'url')).toBe('https://x.example/?q=1&r=2');
    expect(paramOf({ param: ['connectionBudget=80', 'connectionBudget=40'] }, 'connectionBudget')).toBe('40');
    expect(paramOf({ param: 'a=1' }, 'b')).toBeUndefined();
    expect(paramOf({}, 'a')).toBeUndefined();
  });
});
