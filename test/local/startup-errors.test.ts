import { describe, expect, it } from 'vitest';
import { explainStartupError, portFrom, StartupError } from '../../local/startup-errors';

describe('npm start: start-up errors name the setting and what to do', () => {
  it('PORT', () => {
    expect(portFrom(undefined)).toBe(3000);
    expect(portFrom('3001')).toBe(3001);
    expect(() => portFrom('abc')).toThrow(StartupError);
    expect(() => portFrom('abc')).toThrow('PORT must be a whole number from 1 to 65535 (got "abc")');
    expect(explainStartupError(Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' }), { PORT: '3000' })).toBe(
      'port 3000 is already in use: stop what uses it, or start on another port, e.g. PORT=3001 npm start',
    );
  });

  it('DATABASE_URL, without its password', () => {
    const env = { DATABASE_URL: 'postgres://bridge:s3cret-pass@127.0.0.1:5433/bridge' };
    const refused = explainStartupError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5433'), { code: 'ECONNREFUSED' }), env);
    expect(refused).toBe(
      'DATABASE_URL (127.0.0.1:5433): nothing accepts connections there (ECONNREFUSED). Fix: check the host and port in DATABASE_URL and that PostgreSQL runs there; from Lambda: the VPC subnets and a security group rule allowing the functions on port 5432; or unset DATABASE_URL to use the embedded database.',
    );
    const denied = explainStartupError(Object.assign(new Error('password authentication failed'), { code: '28P01' }), env);
    expect(denied).toBe(
      'DATABASE_URL (127.0.0.1:5433): the password of user "bridge" was refused (28P01). Fix: put the current password in DATABASE_URL (on AWS: the SSM parameter DATABASE_URL, then wait SETTINGS_TTL_SECONDS).',
    );
    for (const line of [refused, denied]) expect(line).not.toContain('s3cret-pass');
  });
});
