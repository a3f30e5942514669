import type { Writable } from 'node:stream';
import { anonymousCapabilities, AuthConfigError, isLoopback, tokenAuthorizer } from '../auth/authorizer.js';
import { credentialsPath } from '../auth/local-credential.js';
import { ensureLocalCredential } from '../auth/local-token.js';
import { cacheEntriesFromEnv, registryHeadFor, ResponseCacheConfigError } from '../cache/response-cache.js';
import { openDatabase } from '../db/database.js';
import { migrate, migrationStatus } from '../db/migrate.js';
import { databaseTargetFromEnv, describeTarget } from '../db/target.js';
import { createLogger } from '../logger.js';
import { listen } from './http.js';
import { ShutdownConfigError, shutdownTimeoutFromEnv } from './shutdown.js';

export interface ServeOptions {
  readonly port: number;
  readonly host: string;
  /** Apply pending migrations on PostgreSQL; the embedded database always migrates itself. */
  readonly migrate: boolean;
  readonly stderr: Writable;
}

/**
 * Runs the server until SIGINT or SIGTERM: opens the database, checks or applies migrations, listens,
 * and shuts down when signalled. Resolves with the process exit code.
 */
export async function serve({ port, host, migrate: applyMigrations, stderr }: ServeOptions): Promise<number> {
  const logger = createLogger();
  const target = databaseTargetFromEnv();
  let shutdownTimeoutMs: number;
  let cacheEntries: number;
  let anonymous: ReturnType<typeof anonymousCapabilities>;
  try {
    shutdownTimeoutMs = shutdownTimeoutFromEnv();
    cacheEntries = cacheEntriesFromEnv();
    anonymous = anonymousCapabilities(host);
  } catch (error) {
    if (!(error instanceof ShutdownConfigError) && !(error instanceof ResponseCacheConfigError) && !(error instanceof AuthConfigError)) throw error;
    stderr.write(`error: ${error.message}\n`);
    return 2; // the CLI's exit code for invalid input
  }
  const db = await openDatabase(target);
  // Every instance on one PostgreSQL reads the same head, so a write or a revocation through one is seen by all at once.
  const head = registryHeadFor(target, db);
  try {
    if (target.engine === 'pglite' || applyMigrations) {
      const applied = await migrate(db);
      logger.info({ applied, database: describeTarget(target) }, applied.length ? 'migrations applied' : 'database up to date');
    } else {
      const pending = (await migrationStatus(db)).filter((status) => status.state === 'pending' || status.state === 'failed');
      if (pending.length) {
        stderr.write(
          `${describeTarget(target)} has ${pending.length} migration(s) not applied (${pending.map((s) => s.name).join(', ')}); ` +
            'run `omnibase db migrate` or start with --migrate\n',
        );
        return 1;
      }
    }
    const authorizer = tokenAuthorizer({ db, anonymous, head });
    const responseCache = cacheEntries > 0 ? { maxEntries: cacheEntries } : false;
    const server = await listen({ db, logger, port, host, authorizer, shutdownTimeoutMs, head, responseCache });
    // Watched from the moment the port is open: a signal during the rest of start-up still drains.
    const signals = watchSignals();
    try {
      if (isLoopback(host)) {
        // The quickstart's CLI on this machine finds this token; only this user can read the file.
        const { tokenId, created } = await ensureLocalCredential(db, server.url);
        logger.info({ tokenId, file: credentialsPath() }, created ? 'local credential written' : 'local credential in place');
      }
      logger.info(
        { url: server.url, database: describeTarget(target), anonymous: [...anonymous] },
        `registry listening; GraphiQL at ${server.url}`,
      );
      const signal = await signals.received;
      logger.info({ signal }, 'shutting down');
    } finally {
      signals.stop();
      await server.close();
    }
    return 0;
  } finally {
    // Also when start-up fails (migration refused, port taken): an open pool or PGlite would keep the process alive.
    await head.close();
    await db.close();
  }
}

/** The first SIGINT or SIGTERM; both handlers are removed then (or by stop()), so a second signal acts as usual. */
function watchSignals(): { received: Promise<NodeJS.Signals>; stop(): void } {
  let handler: (signal: NodeJS.Signals) => void = () => {};
  const stop = () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
  const received = new Promise<NodeJS.Signals>((resolve) => {
    handler = (signal) => {
      stop();
      resolve(signal);
    };
  });
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return { received, stop };
}
