import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_AWS_ENV, type FakeSsm, startFakeSsm } from '../../../fakes/ssm';
import { SettingsLoader } from '../../../lib/settings/loader';
import { parseSettings, SettingsError, settingOf } from '../../../lib/settings/schema';
import { envCredentials, SsmError, SsmReader, ssmReaderFromEnv } from '../../../lib/settings/ssm';

let ssm: FakeSsm;
beforeAll(async () => {
  ssm = await startFakeSsm();
});
afterAll(() => ssm.close());
afterEach(() => {
  expect(ssm.badSignatures).toEqual([]); // every request the bridge sent was signed right
  ssm.calls.length = 0;
  ssm.parameters.clear();
  ssm.script.length = 0;
});

const REQUIRED = {
  TELEGRAM_BOT_TOKEN: '123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ_abc',
  TELEGRAM_WEBHOOK_SECRET: 'secret_1',
  WEBIM_API_URL: 'https://demo.webim.ru/api/custom-channel/messages',
  WEBIM_ACCESS_TOKEN: 'token',
  WEBIM_CALLBACK_SECRET: 'callback-secret',
};

/** The reader a Lambda function builds: role keys and region from its environment. */
const reader = () => ssmReaderFromEnv({ ...FAKE_AWS_ENV, AWS_ENDPOINT_URL_SSM: ssm.url });
const put = (values: Record<string, string>, prefix = '/bridge/prod') => {
  for (const [name, value] of Object.entries(values)) ssm.parameters.set(`${prefix}/${name}`, value);
};

describe('settings', () => {
  it('takes env over SSM over the settings table over the default', async () => {
    put({ WELCOME_TEXT: 'from ssm', WEBIM_ACCESS_TOKEN: 'ssm-token', TELEGRAM_TIMEOUT_MS: '3000' });
    const loader = new SettingsLoader({
      env: { ...REQUIRED, WEBIM_ACCESS_TOKEN: 'env-token', SSM_PREFIX: '/bridge/prod', UNRELATED: 'x' },
      ssm: reader,
    });
    const settings = await loader.load(async () => ({
      WELCOME_TEXT: 'from table',
      TELEGRAM_TIMEOUT_MS: '9000',
      FORWARD_INFO_MESSAGES: 'true',
    }));
    expect(settings.WEBIM_ACCESS_TOKEN).toBe('env-token'); // env beats SSM
    expect(settings.WELCOME_TEXT).toBe('from ssm'); // SSM beats table
    expect(settings.TELEGRAM_TIMEOUT_MS).toBe(3000);
    expect(settings.FORWARD_INFO_MESSAGES).toBe(true); // table beats default
    expect(settings.TELEGRAM_API_BASE).toBe('https://api.telegram.org'); // default
    expect(settings.SETTINGS_TTL_SECONDS).toBe(300);
    expect(ssm.calls).toEqual([{ Path: '/bridge/prod', Recursive: false, WithDecryption: true, MaxResults: 10 }]);
  });

  it('reads every page of GetParametersByPath, only the names it knows, not deeper paths', async () => {
    const { TELEGRAM_BOT_TOKEN: _t, WEBIM_CALLBACK_SECRET: _w, ...rest } = REQUIRED;
    put(Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`SOMETHING_ELSE_${String(i).padStart(2, '0')}`, 'x'])));
    put({ TELEGRAM_BOT_TOKEN: REQUIRED.TELEGRAM_BOT_TOKEN, WEBIM_CALLBACK_SECRET: 'paged-secret' });
    put({ WELCOME_TEXT: 'deeper' }, '/bridge/prod/nested');
    const loader = new SettingsLoader({ env: { ...rest, SSM_PREFIX: '/bridge/prod/' }, ssm: reader });
    const settings = await loader.load(async () => ({}));
    expect(settings.WEBIM_CALLBACK_SECRET).toBe('paged-secret');
    expect(settings.TELEGRAM_BOT_TOKEN).toBe(REQUIRED.TELEGRAM_BOT_TOKEN);
    expect(settings.WELCOME_TEXT).toBeUndefined(); // the deeper path is not read
    expect(ssm.calls.map((c) => c.NextToken)).toEqual([undefined, '10']);
  });

  it('makes no SSM or table call while warm, and reloads after the TTL', async () => {
    let now = 1_000_000;
    let tableReads = 0;
    const loader = new SettingsLoader({
      env: { ...REQUIRED, SSM_PREFIX: '/bridge/prod', SETTINGS_TTL_SECONDS: '60' },
      ssm: reader,
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
    expect(ssm.calls).toHaveLength(1);
    expect(tableReads).toBe(1);
    now += 2_000;
    await loader.load(readTable);
    expect(ssm.calls).toHaveLength(2);
    expect(tableReads).toBe(2);
  });

  it('reads the settings table without waiting for SSM when DATABASE_URL is in the env', async () => {
    put({ WELCOME_TEXT: 'from ssm' });
    ssm.script.push({ status: 200, pass: true, delayMs: 80 });
    const loader = new SettingsLoader({ env: { ...REQUIRED, DATABASE_URL: 'postgres://db/x', SSM_PREFIX: '/bridge/prod' }, ssm: reader });
    let tableReadBeforeSsm: boolean | undefined;
    const settings = await loader.load(async (seen) => {
      tableReadBeforeSsm = ssm.calls.length === 0;
      expect(seen.DATABASE_URL).toBe('postgres://db/x');
      return { WELCOME_TEXT: 'from table', FORWARD_INFO_MESSAGES: 'on' };
    });
    expect(tableReadBeforeSsm).toBe(true);
    expect(settings.WELCOME_TEXT).toBe('from ssm'); // precedence unchanged
    expect(settings.FORWARD_INFO_MESSAGES).toBe(true);
  });

  it('does not touch SSM without SSM_PREFIX', async () => {
    const loader = new SettingsLoader({ env: REQUIRED, ssm: reader });
    await loader.load(async () => ({}));
    expect(ssm.calls).toHaveLength(0);
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

  it('reads one raw setting by its own rule: the value, else its default when absent or invalid', () => {
    expect(settingOf({ DATABASE_POOL_MAX: '4' }, 'DATABASE_POOL_MAX')).toBe(4);
    expect(settingOf({}, 'DATABASE_POOL_MAX')).toBe(1);
    expect(settingOf({ DATABASE_POOL_MAX: 'many' }, 'DATABASE_POOL_MAX')).toBe(1);
    expect(settingOf({ TELEGRAM_API_BASE: 'http://127.0.0.1:8081/' }, 'TELEGRAM_API_BASE')).toBe('http://127.0.0.1:8081');
    expect(settingOf({ TELEGRAM_BOT_TOKEN: 'not-a-token' }, 'TELEGRAM_BOT_TOKEN')).toBeUndefined();
    expect(settingOf({ DATABASE_PREPARED_STATEMENTS: 'off' }, 'DATABASE_PREPARED_STATEMENTS')).toBe('off');
  });

  it('refuses a queue wait that could outlive the delivery records (the purge would let a waiting reply be sent twice)', () => {
    // Defaults: 3600 + 600 s against 48 h of records.
    expect(parseSettings(REQUIRED).QUEUE_MAX_AGE_SECONDS).toBe(3600);
    // 14 days in the queue with 48 h of records: refused, naming both settings and the fix.
    expect(() => parseSettings({ ...REQUIRED, QUEUE_MAX_AGE_SECONDS: String(14 * 86_400) })).toThrow(
      /QUEUE_MAX_AGE_SECONDS \(together with ORDER_HOLD_SECONDS must stay within half of CLAIM_RETENTION_HOURS \(86400 s\).*raise CLAIM_RETENTION_HOURS\)/,
    );
    // The same wait with records kept long enough: fine.
    expect(
      parseSettings({ ...REQUIRED, QUEUE_MAX_AGE_SECONDS: String(14 * 86_400), CLAIM_RETENTION_HOURS: String(30 * 24) })
        .QUEUE_MAX_AGE_SECONDS,
    ).toBe(14 * 86_400);
    // At the edge: exactly half is allowed, a second more is not.
    expect(parseSettings({ ...REQUIRED, QUEUE_MAX_AGE_SECONDS: String(86_400 - 600) }).QUEUE_MAX_AGE_SECONDS).toBe(85_800);
    expect(() => parseSettings({ ...REQUIRED, QUEUE_MAX_AGE_SECONDS: String(86_401 - 600) })).toThrow(SettingsError);
  });

  it('refuses plain-http upstreams except on loopback', () => {
    expect(() => parseSettings({ ...REQUIRED, WEBIM_API_URL: 'http://webim.example.com/api' })).toThrow(/WEBIM_API_URL \(must use https/);
    expect(parseSettings({ ...REQUIRED, WEBIM_API_URL: 'http://127.0.0.1:9000/api' }).WEBIM_API_URL).toBe('http://127.0.0.1:9000/api');
    expect(parseSettings({ ...REQUIRED, TELEGRAM_API_BASE: 'http://localhost:8081/' }).TELEGRAM_API_BASE).toBe('http://localhost:8081');
  });
});

describe('SSM Parameter Store reader', () => {
  const fast = (extra: Partial<ConstructorParameters<typeof SsmReader>[0]> = {}) =>
    new SsmReader({ region: FAKE_AWS_ENV.AWS_REGION, endpoint: ssm.url, credentials: envCredentials(FAKE_AWS_ENV), ...extra });

  it('retries throttling and 5xx answers, then reads', async () => {
    put({ WELCOME_TEXT: 'hi' });
    ssm.script.push(
      { status: 400, body: { __type: 'com.amazonaws.ssm#ThrottlingException', message: 'Rate exceeded' } },
      { status: 503, body: {} },
    );
    expect(await fast().parametersByPath('/bridge/prod')).toEqual([{ name: '/bridge/prod/WELCOME_TEXT', value: 'hi' }]);
  });

  it('gives up after three retryable failures with a retryable error', async () => {
    ssm.script.push(...Array.from({ length: 3 }, () => ({ status: 500, body: { __type: 'InternalServerError' } })));
    const error = await fast()
      .parametersByPath('/bridge/prod')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SsmError);
    expect(error).toMatchObject({ code: 'InternalServerError', retryable: true, status: 500 });
    expect(ssm.script).toHaveLength(0);
  });

  it('does not retry a refusal: a missing permission is a configuration error', async () => {
    ssm.script.push(
      { status: 400, body: { __type: 'AccessDeniedException', message: 'User: arn:aws:sts::1:assumed-role/x is not authorized' } },
      { status: 200, pass: true },
    );
    const error = await fast()
      .parametersByPath('/bridge/prod')
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'AccessDeniedException', retryable: false });
    expect((error as Error).message).not.toContain('arn:aws'); // the type and status only
    expect(ssm.script).toHaveLength(1); // one request, no retry
  });

  it('does not take a 200 that is not SSM JSON for "no parameters"', async () => {
    ssm.script.push(...Array.from({ length: 3 }, () => ({ status: 200, rawBody: '<html>proxy</html>' })));
    const error = await fast()
      .parametersByPath('/bridge/prod')
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'unreadable_answer', retryable: true });
  });

  it('times out a hanging SSM, retryably', async () => {
    ssm.script.push({ status: 200, hang: true }, { status: 200, hang: true });
    const error = await fast({ timeoutMs: 100, maxAttempts: 2 })
      .parametersByPath('/bridge/prod')
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'no_answer_timeout', retryable: true });
  });

  it('is refused when the signature is wrong (the fake checks every signature independently)', async () => {
    const wrongKey = envCredentials({ ...FAKE_AWS_ENV, AWS_SECRET_ACCESS_KEY: 'not-the-right-secret' });
    const error = await fast({ credentials: wrongKey })
      .parametersByPath('/bridge/prod')
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'InvalidSignatureException', retryable: false, status: 400 });
    expect(ssm.badSignatures).toEqual(['signature does not match']);
    ssm.badSignatures.length = 0;
  });

  it('needs credentials and a region from the environment, and says which is missing', async () => {
    const noKeys = await new SsmReader({ region: 'eu-central-1', endpoint: ssm.url, credentials: envCredentials({}) })
      .parametersByPath('/p')
      .catch((e: unknown) => e);
    expect(noKeys).toMatchObject({ code: 'no_credentials_in_environment', retryable: false });
    expect(() => ssmReaderFromEnv({ AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' })).toThrow(/AWS_REGION/);
    expect(ssm.calls).toHaveLength(0);
  });
});
