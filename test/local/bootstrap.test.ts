import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_AWS_ENV, type FakeSsm, startFakeSsm } from '../../fakes/ssm';
import { prepareLocalEnvironment } from '../../local/bootstrap';
import { upstreamEnv } from '../support/bridge';

describe('a local run with SSM_PREFIX', () => {
  let ssm: FakeSsm;
  beforeAll(async () => {
    ssm = await startFakeSsm();
  });
  afterAll(() => ssm.close());

  it("reads the stage's parameters, signed with the AWS keys in the environment", async () => {
    for (const [name, value] of Object.entries(upstreamEnv('http://127.0.0.1:9', 'http://127.0.0.1:9/api')))
      ssm.parameters.set(`/telegram-webim-bridge/dev/${name}`, value);
    const local = await prepareLocalEnvironment({
      env: { ...FAKE_AWS_ENV, AWS_ENDPOINT_URL_SSM: ssm.url, SSM_PREFIX: '/telegram-webim-bridge/dev' },
      dataDir: null,
      logSink: () => {},
    });
    try {
      const { settings } = await local.runtime.context();
      expect(settings.WEBIM_API_URL).toBe('http://127.0.0.1:9/api');
      expect(ssm.calls).toHaveLength(1);
      expect(ssm.badSignatures).toEqual([]);
    } finally {
      await local.stop();
    }
  });

  it('without keys in the environment, takes them from a named profile of the shared credentials file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bridge-aws-'));
    const file = path.join(dir, 'credentials');
    writeFileSync(
      file,
      `[bridge-test]\naws_access_key_id = ${FAKE_AWS_ENV.AWS_ACCESS_KEY_ID}\naws_secret_access_key = ${FAKE_AWS_ENV.AWS_SECRET_ACCESS_KEY}\naws_session_token = ${FAKE_AWS_ENV.AWS_SESSION_TOKEN}\n`,
    );
    const saved = { ...process.env };
    // The SDK's chain reads the process environment, as it would in a developer's shell.
    for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) delete process.env[key];
    Object.assign(process.env, { AWS_SHARED_CREDENTIALS_FILE: file, AWS_CONFIG_FILE: path.join(dir, 'none'), AWS_PROFILE: 'bridge-test' });
    const calls = ssm.calls.length;
    const local = await prepareLocalEnvironment({
      env: { AWS_REGION: FAKE_AWS_ENV.AWS_REGION, AWS_ENDPOINT_URL_SSM: ssm.url, SSM_PREFIX: '/telegram-webim-bridge/dev' },
      dataDir: null,
      logSink: () => {},
    });
    try {
      expect((await local.runtime.context()).settings.WEBIM_API_URL).toBe('http://127.0.0.1:9/api');
      expect(ssm.calls.length).toBe(calls + 1);
      expect(ssm.badSignatures).toEqual([]);
    } finally {
      await local.stop();
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  });
});
