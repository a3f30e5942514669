import type { Writable } from 'node:stream';
import { openDatabase } from '../db/database.js';
import { migrate, migrationStatus } from '../db/migrate.js';
import { databaseTargetFromEnv, describeTarget } from '../db/target.js';
import { createLogger } from '../logger.js';
import { listen } from './http.js';

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
  const db = await openDatabase(target);
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
    const server = await listen({ db, logger, port, host });
    logger.info({ url: server.url, database: describeTarget(target) }, `registry listening; GraphiQL at ${server.url}`);
    const signal = await untilSignal();
    logger.info({ signal }, 'shutting down');
    await server.close();
    return 0;
  } finally {
    // Also when start-up fails (migration refused, port taken): an open pool or PGlite would keep the process alive.
    await db.close();
  }
}

/** The first SIGINT or SIGTERM; both handlers are removed then, so a second signal acts as usual. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
