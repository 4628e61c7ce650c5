import { GetParametersByPathCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { SETTING_NAMES } from './schema';

export type RawSettings = Record<string, string>;

const KNOWN = new Set<string>(SETTING_NAMES);

/** Picks the known setting names out of an environment; empty strings count as unset. */
export function readEnvSettings(env: Record<string, string | undefined>): RawSettings {
  const out: RawSettings = {};
  for (const [key, value] of Object.entries(env)) {
    if (KNOWN.has(key) && value !== undefined && value !== '') out[key] = value;
  }
  return out;
}

/**
 * Reads every parameter directly under `prefix` with one paged GetParametersByPath walk
 * (SecureStrings decrypted). Unknown names are ignored so the prefix can be shared.
 */
export async function readSsmSettings(client: SSMClient, prefix: string): Promise<RawSettings> {
  const path = prefix.endsWith('/') ? prefix : `${prefix}/`;
  const out: RawSettings = {};
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new GetParametersByPathCommand({ Path: path.slice(0, -1) || '/', Recursive: false, WithDecryption: true, NextToken: nextToken, MaxResults: 10 }),
    );
    for (const p of page.Parameters ?? []) {
      const name = p.Name?.slice(p.Name.lastIndexOf('/') + 1);
      if (name && KNOWN.has(name) && p.Value !== undefined && p.Value !== '') out[name] = p.Value;
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return out;
}
