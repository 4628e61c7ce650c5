import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeTelegram } from '../../fakes/telegram';
import type { FakeWebim } from '../../fakes/webim';
import { createAdminHandler } from '../../functions/admin';
import { Runtime } from '../../lib/app/runtime';
import { SECRETS, startUpstreams, upstreamEnv } from '../support/bridge';
import { databaseEngines, type TestDatabase } from '../support/databases';

const require = createRequire(import.meta.url);
const AutoSetupPlugin = require('../../deploy/auto-setup-plugin.cjs') as new (
  serverless: unknown,
  options: unknown,
  utils: unknown,
) => { hooks: Record<string, () => Promise<void>> };

const API = 'https://abcd1234ef.execute-api.eu-central-1.amazonaws.com';

/** Lambda's Invoke answer for a handler run in this process: the payload, or FunctionError with the error. */
async function invokeLocally(handler: (event: unknown) => Promise<unknown>, payload: string) {
  try {
    return { StatusCode: 200, Payload: Buffer.from(JSON.stringify(await handler(JSON.parse(payload)))) };
  } catch (error) {
    const e = error as Error;
    return {
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: Buffer.from(JSON.stringify({ errorType: e.name, errorMessage: e.message })),
    };
  }
}

/**
 * The deploy hook driven the way `serverless deploy` drives it (its `after:deploy:deploy` hook, the
 * provider's Lambda Invoke), with Invoke running the real admin function against the local fakes.
 */
describe('auto-setup after deploy', () => {
  const [engine] = databaseEngines();
  let database: TestDatabase;
  let telegram: FakeTelegram;
  let webim: FakeWebim;

  let upstreams: Awaited<ReturnType<typeof startUpstreams>>;
  beforeAll(async () => {
    upstreams = await startUpstreams(engine!);
    ({ database, telegram, webim } = upstreams);
  });
  afterAll(() => upstreams.close());

  const deploy = async (env: Record<string, string>, params: string[] = []) => {
    const runtime = new Runtime({
      env: { ...upstreamEnv(telegram.url, webim.url), HTTP_API_URL: API, DATABASE_URL: database.url, ...env },
      logSink: () => {},
    });
    const handler = createAdminHandler(runtime);
    const printed: string[] = [];
    const invoked: unknown[] = [];
    class ServerlessError extends Error {}
    const serverless = {
      classes: { Error: ServerlessError },
      service: { getFunction: (name: string) => ({ name: `telegram-webim-bridge-dev-${name}` }) },
      getProvider: () => ({
        request: async (service: string, method: string, params: { FunctionName: string; Payload: string }) => {
          invoked.push({ service, method, FunctionName: params.FunctionName, payload: JSON.parse(params.Payload) });
          return invokeLocally(handler, params.Payload);
        },
      }),
    };
    const plugin = new AutoSetupPlugin(
      serverless,
      { stage: 'dev', param: params },
      { log: { notice: (l: string) => printed.push(l), error: () => {} } },
    );
    try {
      const error = await plugin.hooks['after:deploy:deploy']!().then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      return { printed, invoked, error };
    } finally {
      await runtime.close();
    }
  };

  it('migrates, registers the webhook at the stage URL and prints the doctor report', async () => {
    const { printed, invoked, error } = await deploy({});
    expect(error).toBeUndefined();
    expect(invoked).toEqual([
      { service: 'Lambda', method: 'invoke', FunctionName: 'telegram-webim-bridge-dev-admin', payload: { action: 'setup' } },
    ]);
    expect(telegram.webhook.url).toBe(`${API}/telegram-webhook`);
    const text = printed.join('\n');
    expect(text).toMatch(/✓ migrate\s+applied 001_initial/);
    expect(text).toContain('doctor:');
    expect(text).toContain(`configure in Webim: ${API}/webim-callback`);
    expect(printed.at(-1)).toMatch(/^all good/);
    // running deploy again is safe
    const again = await deploy({});
    expect(again.error).toBeUndefined();
    expect(again.printed.join('\n')).toMatch(/✓ migrate\s+nothing to apply/);
  });

  it('fails the deploy with the report when something is wrong, naming what to fix and never a secret', async () => {
    const { error } = await deploy({ WEBIM_CALLBACK_SECRET: '' });
    expect(error).toBeInstanceOf(Error);
    expect(error?.message).toContain('auto-setup failed');
    expect(error?.message).toContain('missing WEBIM_CALLBACK_SECRET');
    expect(error?.message).toContain('The stack is deployed');
    for (const secret of Object.values(SECRETS)) expect(error?.message).not.toContain(secret);
  });

  it('can be switched off with --param="autoSetup=false"', async () => {
    const { printed, invoked, error } = await deploy({}, ['autoSetup=false']);
    expect(error).toBeUndefined();
    expect(invoked).toHaveLength(0);
    expect(printed[0]).toContain('auto-setup skipped');
  });
});
