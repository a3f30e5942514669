import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { openDatabase } from '../../src/db/database.js';
import { migrate, migrationStatus } from '../../src/db/migrate.js';
import { databaseTargetFromEnv, describeTarget } from '../../src/db/target.js';
import { createLogger } from '../../src/logger.js';
import { listen } from '../../src/server/http.js';
import { RegistryCommand } from '../command.js';
import { ExitCode } from '../exit-codes.js';

export class ServeCommand extends RegistryCommand {
  static override paths = [['serve']];
  static override usage = Command.Usage({
    description: 'Run the registry server: GraphQL and GraphiQL at /graphql',
    details: `
      Uses PostgreSQL when DATABASE_URL is set, else the embedded database in OMNIBASE_DATA_DIR (default:
      $XDG_DATA_HOME/omnibase/registry), whose migrations are applied at start. On PostgreSQL, pending
      migrations stop the start-up unless --migrate is given (or run \`omnibase db migrate\` first).
    `,
    examples: [
      ['Serve on the default port, loopback only', '$0 serve'],
      ['Serve on all interfaces, port 8080', '$0 serve --host 0.0.0.0 --port 8080'],
    ],
  });

  port = Option.String('--port', '4000', { validator: t.cascade(t.isNumber(), [t.isInteger(), t.isInInclusiveRange(0, 65535)]) });
  host = Option.String('--host', '127.0.0.1');
  migrate = Option.Boolean('--migrate', false, { description: 'Apply pending migrations before serving' });

  protected async run(): Promise<number> {
    const logger = createLogger();
    const target = databaseTargetFromEnv();
    const db = await openDatabase(target);
    try {
      if (target.engine === 'pglite' || this.migrate) {
        const applied = await migrate(db);
        logger.info({ applied, database: describeTarget(target) }, applied.length ? 'migrations applied' : 'database up to date');
      } else {
        const pending = (await migrationStatus(db)).filter((status) => status.state === 'pending' || status.state === 'failed');
        if (pending.length) {
          this.context.stderr.write(
            `${describeTarget(target)} has ${pending.length} migration(s) not applied (${pending.map((s) => s.name).join(', ')}); ` +
              'run `omnibase db migrate` or start with --migrate\n',
          );
          return ExitCode.Unexpected;
        }
      }
      const server = await listen({ db, logger, port: this.port, host: this.host });
      logger.info({ url: server.url, database: describeTarget(target) }, `registry listening; GraphiQL at ${server.url}`);
      const signal = await untilSignal();
      logger.info({ signal }, 'shutting down');
      await server.close();
      return ExitCode.Ok;
    } finally {
      // Also when start-up fails (migration refused, port taken): an open pool or PGlite would keep the process alive.
      await db.close();
    }
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
