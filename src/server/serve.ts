import { anonymousCapabilities, isLoopback, tokenAuthorizer } from '../auth/authorizer.js';
import { credentialsPath } from '../auth/local-credential.js';
import { ensureLocalCredential } from '../auth/local-token.js';
import { cacheEntriesFromEnv, registryHeadFor } from '../cache/response-cache.js';
import { openDatabase } from '../db/database.js';
import { prepareDatabase } from '../db/migrate.js';
import { databaseTargetFromEnv, describeTarget } from '../db/target.js';
import { createLogger } from '../logger.js';
import { streamsPerPrincipalFromEnv } from './change-stream.js';
import { listen } from './http.js';
import { introspectionFromEnv } from './limits.js';
import { shutdownTimeoutFromEnv } from './shutdown.js';

export interface ServeOptions {
  readonly port: number;
  readonly host: string;
  /** Apply pending migrations on PostgreSQL; the embedded database always migrates itself. */
  readonly migrate: boolean;
}

/**
 * Runs the server until SIGINT or SIGTERM: reads its settings (a bad one throws before the database is
 * opened), opens the database, checks or applies migrations (prepareDatabase), listens, and shuts down when
 * signalled. Resolves with the process exit code.
 */
export async function serve({ port, host, migrate: applyMigrations }: ServeOptions): Promise<number> {
  const logger = createLogger();
  const target = databaseTargetFromEnv();
  const shutdownTimeoutMs = shutdownTimeoutFromEnv();
  const cacheEntries = cacheEntriesFromEnv();
  const streamsPerPrincipal = streamsPerPrincipalFromEnv();
  const anonymous = anonymousCapabilities(host);
  introspectionFromEnv(); // read again by the GraphQL server; checked here, before anything is opened
  const db = await openDatabase(target);
  // Every instance on one PostgreSQL reads the same head, so a write or a revocation through one is seen by all at once.
  const head = registryHeadFor(target, db);
  try {
    const applied = await prepareDatabase(db, target, { migrate: applyMigrations });
    if (target.engine === 'pglite' || applyMigrations) {
      logger.info({ applied, database: describeTarget(target) }, applied.length ? 'migrations applied' : 'database up to date');
    }
    const authorizer = tokenAuthorizer({ db, anonymous, head });
    const responseCache = cacheEntries > 0 ? { maxEntries: cacheEntries } : false;
    const server = await listen({ db, logger, port, host, authorizer, shutdownTimeoutMs, head, responseCache, streamsPerPrincipal });
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
