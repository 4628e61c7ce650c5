import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createReplyQueueHandler } from '../functions/reply-queue';
import { Runtime } from '../lib/app/runtime';
import { migrate, readMigrations } from '../lib/db/migrate';
import { MemoryReplyQueue } from '../lib/queue/memory';
import { REDRIVE_MAX_RECEIVES } from '../lib/queue/reply-queue';
import { type CredentialsProvider, envCredentials, ssmReaderFromEnv } from '../lib/settings/ssm';
import { type EmbeddedDatabase, startEmbeddedDatabase } from './embedded-db';

export interface LocalEnvironment {
  runtime: Runtime;
  /** The in-process reply queue (SQS FIFO's rules), its consumer running; absent with REPLY_QUEUE_URL (a real SQS queue). */
  queue?: MemoryReplyQueue;
  embedded?: EmbeddedDatabase;
  applied: string[];
  stop(): Promise<void>;
}

/** Reads `.env` into process.env when present (existing variables win). */
export function loadDotEnv(): void {
  if (existsSync('.env')) process.loadEnvFile('.env');
}

/**
 * A shell's AWS credentials for reading SSM locally: environment keys, a profile, SSO… — the
 * SDK's default chain, loaded only when it is first needed (Lambda takes the role's keys from
 * its environment and never loads it).
 */
export function shellCredentials(env: Record<string, string | undefined>): CredentialsProvider {
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) return envCredentials(env);
  let provider: Promise<CredentialsProvider> | undefined;
  return async () => (await (provider ??= import('@aws-sdk/credential-provider-node').then((m) => m.defaultProvider())))();
}

/** package.json's version: the release this checkout is. */
export function bridgeVersion(): string | undefined {
  try {
    return (JSON.parse(readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** Where the embedded database keeps its files between runs (git-ignored). */
export const LOCAL_DATA_DIR = path.join(process.cwd(), '.data', 'pglite');

/**
 * Prepares a local run: starts the embedded database when no
 * DATABASE_URL is given, applies migrations, and builds the same Runtime Lambda uses.
 */
export async function prepareLocalEnvironment(
  options: { env?: NodeJS.ProcessEnv; dataDir?: string | null; logSink?: (line: string) => void; migrate?: boolean } = {},
): Promise<LocalEnvironment> {
  const env = options.env ?? process.env;
  // The release, as the template sets it on AWS (the doctor's first line).
  env.BRIDGE_VERSION ??= bridgeVersion();
  let embedded: EmbeddedDatabase | undefined;
  if (!env.DATABASE_URL) {
    const dataDir = options.dataDir === null ? undefined : (options.dataDir ?? LOCAL_DATA_DIR);
    if (dataDir) mkdirSync(dataDir, { recursive: true });
    embedded = await startEmbeddedDatabase({ dataDir });
    env.DATABASE_URL = embedded.url;
  }
  // A local process serves many requests at once, unlike a Lambda container; the embedded
  // database takes one connection, on which the driver pipelines queries.
  env.DATABASE_POOL_MAX ??= embedded ? String(embedded.maxConnections) : '8';
  // Replies that cannot go at once wait in an in-process queue with SQS FIFO's rules (unless a
  // real SQS queue is configured): the same consumer as on AWS delivers them, a few batches at
  // once as the event source mapping does (its maximum concurrency in the template is 3).
  const queue = env.REPLY_QUEUE_URL ? undefined : new MemoryReplyQueue({ maxReceives: REDRIVE_MAX_RECEIVES, concurrency: 3 });
  const runtime = new Runtime({
    env,
    logSink: options.logSink,
    ssm: env.SSM_PREFIX ? () => ssmReaderFromEnv(env, shellCredentials(env)) : undefined,
    replyQueue: queue,
  });
  const applied = options.migrate === false ? [] : await migrate(await runtime.databaseOnly(), await readMigrations());
  queue?.start(createReplyQueueHandler(runtime));
  return {
    runtime,
    queue,
    embedded,
    applied,
    async stop() {
      await queue?.stop();
      await runtime.close();
      await embedded?.stop();
    },
  };
}
