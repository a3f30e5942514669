import { Command } from 'clipanion';
import type { Database } from '../../src/db/database.js';
import { databaseTargetFromEnv, describeTarget, type DatabaseTarget } from '../../src/db/target.js';
import { outputOption, writeStructured } from '../client/output.js';
import { RegistryCommand } from '../command.js';
import { ExitCode } from '../exit-codes.js';
import { DATABASE_SETTINGS } from '../settings.js';

const DATABASE_DETAILS = `
  The database is PostgreSQL when DATABASE_URL is set (postgresql://…), else the embedded database in
  OMNIBASE_DATA_DIR (default: $XDG_DATA_HOME/omnibase/registry). The embedded database can be open in one
  process at a time: stop \`omnibase serve\` first.
`;

export interface DatabaseUse {
  /**
   * `prepared` (the default): migrated when embedded, checked on PostgreSQL (prepareDatabase), as every command
   * that works on the registry's tables needs; `migrated`: migrated on either; `as-is`: untouched (db status).
   */
  readonly state?: 'prepared' | 'migrated' | 'as-is';
}

/**
 * Opens the registry's database (DATABASE_URL, else the embedded one), runs `work` and closes it whatever
 * happens. The database modules load here: commands that talk GraphQL never load them.
 */
export async function withDatabase<T>(work: (db: Database, target: DatabaseTarget, applied: string[]) => Promise<T>, { state = 'prepared' }: DatabaseUse = {}): Promise<T> {
  const target = databaseTargetFromEnv();
  const [{ openDatabase }, { explainConnectionError, prepareDatabase }] = await Promise.all([
    import('../../src/db/database.js'),
    import('../../src/db/migrate.js'),
  ]);
  const db = await openDatabase(target);
  try {
    const applied = state === 'as-is' ? [] : await prepareDatabase(db, target, { migrate: state === 'migrated' });
    return await work(db, target, applied);
  } catch (error) {
    throw explainConnectionError(error, target);
  } finally {
    await db.close();
  }
}

export class DbMigrateCommand extends RegistryCommand {
  static override paths = [['db', 'migrate']];
  static override settings = DATABASE_SETTINGS;
  static override usage = Command.Usage({
    category: 'Database',
    description: 'Apply pending migrations (compatible with `prisma migrate deploy`)',
    details: DATABASE_DETAILS,
  });

  protected async run(): Promise<number> {
    return withDatabase(
      async (_db, target, applied) => {
        this.context.stdout.write(applied.length ? applied.map((name) => `applied ${name}\n`).join('') : `${describeTarget(target)} is up to date\n`);
        return ExitCode.Ok;
      },
      { state: 'migrated' },
    );
  }
}

export class DbStatusCommand extends RegistryCommand {
  static override paths = [['db', 'status']];
  static override settings = DATABASE_SETTINGS;
  static override usage = Command.Usage({
    category: 'Database',
    description: 'List migrations with their state: applied, pending, failed, modified (file changed since) or unknown',
    details: `${DATABASE_DETAILS}
      It only looks: even the embedded database, which other commands migrate when they open it, is left as it is.`,
  });

  output = outputOption();

  protected async run(): Promise<number> {
    const { migrationStatus } = await import('../../src/db/migrate.js');
    return withDatabase(
      async (db, target) => {
        const statuses = await migrationStatus(db);
        if (this.output !== 'human') {
          await writeStructured(this.context.stdout, this.output, statuses);
          return ExitCode.Ok;
        }
        this.context.stdout.write(`${describeTarget(target)}\n`);
        const width = Math.max(...statuses.map((status) => status.name.length), 9);
        for (const status of statuses) {
          const when = status.appliedAt ? `  ${status.appliedAt.toISOString()}` : '';
          this.context.stdout.write(`${status.name.padEnd(width)}  ${status.state.padEnd(8)}${when}\n`);
        }
        return ExitCode.Ok;
      },
      { state: 'as-is' },
    );
  }
}
