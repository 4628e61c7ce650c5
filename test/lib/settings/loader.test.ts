import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SettingsLoader } from '../../../lib/settings/loader';
import { parseSettings, SettingsError } from '../../../lib/settings/schema';

const ssmMock = mockClient(SSMClient);
afterEach(() => ssmMock.reset());

const REQUIRED = {
  TELEGRAM_BOT_TOKEN: '123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ_abc',
  TELEGRAM_WEBHOOK_SECRET: 'secret_1',
  WEBIM_API_URL: 'https://demo.webim.ru/api/custom-channel/messages',
  WEBIM_ACCESS_TOKEN: 'token',
  WEBIM_CALLBACK_SECRET: 'callback-secret',
};

const param = (name: string, value: string) => ({ Name: `/bridge/prod/${name}`, Value: value, Type: 'SecureString' as const });

describe('settings', () => {
  it('takes env over SSM over the settings table over the default', async () => {
    ssmMock.on(GetParametersByPathCommand).resolves({
      Parameters: [param('WELCOME_TEXT', 'from ssm'), param('WEBIM_ACCESS_TOKEN', 'ssm-token'), param('TELEGRAM_TIMEOUT_MS', '3000')],
    });
    const loader = new SettingsLoader({
      env: { ...REQUIRED, WEBIM_ACCESS_TOKEN: 'env-token', SSM_PREFIX: '/bridge/prod', UNRELATED: 'x' },
      ssmClient: () => new SSMClient({ region: 'eu-central-1' }),
    });
    const settings = await loader.load(async () => ({ WELCOME_TEXT: 'from table', TELEGRAM_TIMEOUT_MS: '9000', FORWARD_INFO_MESSAGES: 'true' }));
    expect(settings.WEBIM_ACCESS_TOKEN).toBe('env-token'); // env beats SSM
    expect(settings.WELCOME_TEXT).toBe('from ssm'); // SSM beats table
    expect(settings.TELEGRAM_TIMEOUT_MS).toBe(3000);
    expect(settings.FORWARD_INFO_MESSAGES).toBe(true); // table beats default
    expect(settings.TELEGRAM_API_BASE).toBe('https://api.telegram.org'); // default
    expect(settings.SETTINGS_TTL_SECONDS).toBe(300);
    const call = ssmMock.commandCalls(GetParametersByPathCommand)[0]?.args[0].input;
    expect(call).toMatchObject({ Path: '/bridge/prod', WithDecryption: true });
  });

  it('reads every page of GetParametersByPath', async () => {
    ssmMock
      .on(GetParametersByPathCommand, { NextToken: undefined })
      .resolves({ Parameters: [param('TELEGRAM_BOT_TOKEN', REQUIRED.TELEGRAM_BOT_TOKEN)], NextToken: 'page2' })
      .on(GetParametersByPathCommand, { NextToken: 'page2' })
      .resolves({ Parameters: [param('WEBIM_CALLBACK_SECRET', 'paged-secret')] });
    const { TELEGRAM_BOT_TOKEN: _t, WEBIM_CALLBACK_SECRET: _w, ...rest } = REQUIRED;
    const loader = new SettingsLoader({ env: { ...rest, SSM_PREFIX: '/bridge/prod/' }, ssmClient: () => new SSMClient({ region: 'eu-central-1' }) });
    const settings = await loader.load(async () => ({}));
    expect(settings.WEBIM_CALLBACK_SECRET).toBe('paged-secret');
    expect(settings.TELEGRAM_BOT_TOKEN).toBe(REQUIRED.TELEGRAM_BOT_TOKEN);
    expect(ssmMock.commandCalls(GetParametersByPathCommand)).toHaveLength(2);
  });

  it('makes no SSM or table call while warm, and reloads after the TTL', async () => {
    ssmMock.on(GetParametersByPathCommand).resolves({ Parameters: [] });
    let now = 1_000_000;
    let tableReads = 0;
    const loader = new SettingsLoader({
      env: { ...REQUIRED, SSM_PREFIX: '/bridge/prod', SETTINGS_TTL_SECONDS: '60' },
      ssmClient: () => new SSMClient({ region: 'eu-central-1' }),
      now: () => now,
    });
    const readTable = async () => {
      tableReads++;
      return {};
    };
    const first = await loader.load(readTable);
    await Promise.all([loader.load(readTable), loader.base(), loader.load(readTable)]);
    now += 59_000;
    expect(await loader.load(readTable)).toBe(first);
    expect(ssmMock.commandCalls(GetParametersByPathCommand)).toHaveLength(1);
    expect(tableReads).toBe(1);
    now += 2_000;
    await loader.load(readTable);
    expect(ssmMock.commandCalls(GetParametersByPathCommand)).toHaveLength(2);
    expect(tableReads).toBe(2);
  });

  it('reads the settings table without waiting for SSM when DATABASE_URL is in the env', async () => {
    let ssmAnswered = false;
    ssmMock.on(GetParametersByPathCommand).callsFake(async () => {
      await new Promise((r) => setTimeout(r, 50));
      ssmAnswered = true;
      return { Parameters: [param('WELCOME_TEXT', 'from ssm')] };
    });
    const loader = new SettingsLoader({ env: { ...REQUIRED, DATABASE_URL: 'postgres://db/x', SSM_PREFIX: '/bridge/prod' }, ssmClient: () => new SSMClient({ region: 'eu-central-1' }) });
    let tableReadBeforeSsm: boolean | undefined;
    const settings = await loader.load(async (seen) => {
      tableReadBeforeSsm = !ssmAnswered;
      expect(seen.DATABASE_URL).toBe('postgres://db/x');
      return { WELCOME_TEXT: 'from table', FORWARD_INFO_MESSAGES: 'on' };
    });
    expect(tableReadBeforeSsm).toBe(true);
    expect(settings.WELCOME_TEXT).toBe('from ssm'); // precedence unchanged
    expect(settings.FORWARD_INFO_MESSAGES).toBe(true);
  });

  it('does not touch SSM without SSM_PREFIX', async () => {
    const loader = new SettingsLoader({ env: REQUIRED, ssmClient: () => new SSMClient({ region: 'eu-central-1' }) });
    await loader.load(async () => ({}));
    expect(ssmMock.calls()).toHaveLength(0);
  });

  it('names every missing required setting in one error, and no values', () => {
    const error = (() => {
      try {
        parseSettings({ WEBIM_ACCESS_TOKEN: 'present-token', TELEGRAM_WEBHOOK_SECRET: 'has spaces!' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(SettingsError);
    const e = error as SettingsError;
    expect(e.missing.sort()).toEqual(['TELEGRAM_BOT_TOKEN', 'WEBIM_API_URL', 'WEBIM_CALLBACK_SECRET']);
    expect(e.invalid.map((i) => i.key)).toEqual(['TELEGRAM_WEBHOOK_SECRET']);
    expect(e.message).toContain('TELEGRAM_BOT_TOKEN, ');
    expect(e.message).not.toContain('has spaces!');
    expect(e.message).not.toContain('present-token');
  });

  it('refuses plain-http upstreams except on loopback', () => {
    expect(() => parseSettings({ ...REQUIRED, WEBIM_API_URL: 'http://webim.example.com/api' })).toThrow(/WEBIM_API_URL \(must use https/);
    expect(parseSettings({ ...REQUIRED, WEBIM_API_URL: 'http://127.0.0.1:9000/api' }).WEBIM_API_URL).toBe('http://127.0.0.1:9000/api');
    expect(parseSettings({ ...REQUIRED, TELEGRAM_API_BASE: 'http://localhost:8081/' }).TELEGRAM_API_BASE).toBe('http://localhost:8081');
  });
});
