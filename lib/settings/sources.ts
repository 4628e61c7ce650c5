import { SETTING_NAMES } from './schema';
import type { SsmReader } from './ssm';

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
export async function readSsmSettings(ssm: Pick<SsmReader, 'parametersByPath'>, prefix: string): Promise<RawSettings> {
  const path = prefix.replace(/\/+$/, '') || '/';
  const out: RawSettings = {};
  for (const { name: fullName, value } of await ssm.parametersByPath(path)) {
    const name = fullName.slice(fullName.lastIndexOf('/') + 1);
    if (name && KNOWN.has(name) && value !== '') out[name] = value;
  }
  return out;
}
