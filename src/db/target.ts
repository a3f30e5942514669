import { defaultDataDir } from '../paths.js';

/** Which database the registry talks to: PostgreSQL when DATABASE_URL is set, else the embedded PGlite. */
export type DatabaseTarget =
  | { readonly engine: 'postgres'; readonly url: string }
  | { readonly engine: 'pglite'; readonly dataDir: string | undefined };

export class DatabaseConfigError extends Error {
  override readonly name = 'DatabaseConfigError';
}

export function databaseTargetFromEnv(env: NodeJS.ProcessEnv = process.env): DatabaseTarget {
  const url = env.DATABASE_URL?.trim();
  if (url) {
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw new DatabaseConfigError(
        `DATABASE_URL must be a postgresql:// URL; unset it to use the embedded database (got "${url.split(':')[0]}:…")`,
      );
    }
    return { engine: 'postgres', url };
  }
  return { engine: 'pglite', dataDir: env.OMNIBASE_DATA_DIR?.trim() || defaultDataDir(env) };
}

/** A human description that never includes a password. */
export function describeTarget(target: DatabaseTarget): string {
  if (target.engine === 'pglite') return `embedded PGlite at ${target.dataDir ?? '(memory)'}`;
  const parsed = new URL(target.url);
  return `PostgreSQL at ${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
}
