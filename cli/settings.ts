import { statSync } from 'node:fs';
import ms from 'ms';
import { registryUrl } from './client/endpoint.js';

/** An environment setting with a value its reader cannot use: exit 2, before anything is opened. */
export class SettingError extends Error {
  override readonly name = 'SettingError';
}

/** "30s", "10m", "2h", "1d", or a bare number of seconds, as milliseconds; undefined for anything else. */
export function durationMs(text: string): number | undefined {
  const value = /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text) * 1000 : ms(text.trim() as ms.StringValue);
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

export const DURATION_EXAMPLES = 'a duration such as 30s, 10m, 2h or 1d';

/** The problem with a value, as the whole line a user reads, or undefined when the value is usable. */
type Check = (value: string, env: NodeJS.ProcessEnv) => string | undefined | Promise<string | undefined>;

/** A value checked here: `NAME must be <accepts> (got "<value>")`. */
function must(accepts: string, valid: (value: string) => boolean, shown: (value: string) => string = (value) => `"${value}"`) {
  return (name: string): Check => (value) => (valid(value) ? undefined : `${name} must be ${accepts} (got ${shown(value)})`);
}

/** A value its reader checks itself: the reader's own message, which names the variable, is the line. */
function readBy(read: (env: NodeJS.ProcessEnv) => unknown): () => Check {
  return () => async (_value, env) => {
    try {
      await read(env);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  };
}

/** A folder the registry creates when missing; an existing file of that name is the mistake to catch. */
const folder = must('a folder (a path to a directory, created when missing)', (value) => {
  try {
    return statSync(value).isDirectory();
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}, (value) => `"${value}", which is a file`);

const oneOf = (values: readonly string[]) => must(`one of ${values.join(', ')}`, (value) => values.includes(value.toLowerCase()));

/**
 * Every setting an omnibase command reads from the environment and how its value is checked. The heavier
 * readers (the server's) are loaded only when a command that reads them runs.
 */
const SETTINGS = {
  DATABASE_URL: readBy(async (env) => (await import('../src/db/target.js')).databaseTargetFromEnv(env)),
  OMNIBASE_DATA_DIR: folder,
  OMNIBASE_CONFIG_DIR: folder,
  OMNIBASE_CACHE_DIR: folder,
  OMNIBASE_URL: readBy((env) => registryUrl(undefined, env)),
  // Never echoed: it is a secret.
  OMNIBASE_TOKEN: must(
    'a bearer token as `omnibase token create` prints it: letters, digits and -._~+/ only',
    (value) => /^[A-Za-z0-9\-._~+/]+=*$/.test(value),
    () => 'a value with other characters, not shown',
  ),
  OMNIBASE_CACHE_TTL: must(DURATION_EXAMPLES, (value) => durationMs(value) !== undefined),
  OMNIBASE_REQUEST_TIMEOUT: must(`${DURATION_EXAMPLES}, more than 0`, (value) => (durationMs(value) ?? 0) > 0),
  OMNIBASE_LOG_LEVEL: oneOf(['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace']),
  OMNIBASE_LOG_FORMAT: oneOf(['json', 'pretty']),
  OMNIBASE_INTROSPECTION: readBy(async (env) => (await import('../src/server/limits.js')).introspectionFromEnv(env)),
  // The value's grammar; whether it suits the address `serve` listens on is checked there.
  OMNIBASE_ANONYMOUS_CAPABILITIES: readBy(async (env) => (await import('../src/auth/authorizer.js')).anonymousCapabilities('127.0.0.1', env)),
  OMNIBASE_RESPONSE_CACHE_ENTRIES: readBy(async (env) => (await import('../src/cache/response-cache.js')).cacheEntriesFromEnv(env)),
  OMNIBASE_SHUTDOWN_TIMEOUT_MS: readBy(async (env) => (await import('../src/server/shutdown.js')).shutdownTimeoutFromEnv(env)),
} satisfies Record<string, (name: string) => Check>;

export type SettingName = keyof typeof SETTINGS;

export const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[];

/** What the registry's database commands read. */
export const DATABASE_SETTINGS: readonly SettingName[] = ['DATABASE_URL', 'OMNIBASE_DATA_DIR'];

/** What the commands that talk to a registry over GraphQL read. */
export const CLIENT_SETTINGS: readonly SettingName[] = [
  'OMNIBASE_URL',
  'OMNIBASE_TOKEN',
  'OMNIBASE_CONFIG_DIR',
  'OMNIBASE_CACHE_DIR',
  'OMNIBASE_CACHE_TTL',
  'OMNIBASE_REQUEST_TIMEOUT',
];

/** Throws SettingError for the first of these settings that is set to a value its reader cannot use. */
export async function checkSettings(names: readonly SettingName[], env: NodeJS.ProcessEnv): Promise<void> {
  for (const name of names) {
    const value = env[name]?.trim();
    if (!value) continue;
    const problem = await SETTINGS[name](name)(value, env);
    if (problem) throw new SettingError(problem);
  }
}
