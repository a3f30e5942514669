import { Command, Option } from 'clipanion';
import { databaseTargetFromEnv, describeTarget } from '../../src/db/target.js';
import { RegistryCommand } from '../command.js';
import { ExitCode } from '../exit-codes.js';

const DATABASE_DETAILS = `
  The database is PostgreSQL when DATABASE_URL is set (postgresql://…), else the embedded database in
  OMNIBASE_DATA_DIR (default: $XDG_DATA_HOME/omnibase/registry). The embedded database can be open in one
  process at a time: stop \`omnibase serve\` first.
`;

/** The database modules, loaded when a command needs them: commands that talk GraphQL never do. */
export async function loadDatabase() {
  const [{ openDatabase }, { migrate, migrationStatus }] = await Promise.all([
    import('../../src/db/database.js'),
    import('../../src/db/migrate.js'),
  ]);
  return { openDatabase, migrate, migrationStatus };
}

export class DbMigrateCommand extends RegistryCommand {
  static override paths = [['db', 'migrate']];
  static override usage = Command.Usage({
    category: 'Database',
    description: 'Apply pending migrations (compatible with `prisma migrate deploy`)',
    details: DATABASE_DETAILS,
  });

  protected async run(): Promise<number> {
    const target = databaseTargetFromEnv();
    const { openDatabase, migrate } = await loadDatabase();
    const db = await openDatabase(target);
    try {
      const applied = await migrate(db);
      const where = describeTarget(target);
      this.context.stdout.write(
        applied.length ? applied.map((name) => `applied ${name}\n`).join('') : `${where} is up to date\n`,
      );
      return ExitCode.Ok;
    } finally {
      await db.close();
    }
  }
}

export class DbStatusCommand extends RegistryCommand {
  static override paths = [['db', 'status']];
  static override usage = Command.Usage({
    category: 'Database',
    description: 'List migrations with their state: applied, pending, failed, modified (file changed since) or unknown',
    details: DATABASE_DETAILS,
  });

  output = Option.String('--output', 'human', { description: 'human or json' });

  protected async run(): Promise<number> {
    if (this.output !== 'human' && this.output !== 'json') {
      this.context.stderr.write(`--output must be human or json (got "${this.output}")\n`);
      return ExitCode.InvalidInput;
    }
    const target = databaseTargetFromEnv();
    const { openDatabase, migrationStatus } = await loadDatabase();
    const db = await openDatabase(target);
    try {
      const statuses = await migrationStatus(db);
      if (this.output === 'json') {
        this.context.stdout.write(`${JSON.stringify(statuses, null, 2)}\n`);
        return ExitCode.Ok;
      }
      this.context.stdout.write(`${describeTarget(target)}\n`);
      const width = Math.max(...statuses.map((status) => status.name.length), 9);
      for (const status of statuses) {
        const when = status.appliedAt ? `  ${status.appliedAt.toISOString()}` : '';
        this.context.stdout.write(`${status.name.padEnd(width)}  ${status.state.padEnd(8)}${when}\n`);
      }
      return ExitCode.Ok;
    } finally {
      await db.close();
    }
  }
}
