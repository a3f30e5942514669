import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { migrationsDir } from '../paths.js';
import type { Database, SqlSession } from './database.js';
import { DatabaseConfigError, describeTarget, type DatabaseTarget } from './target.js';

// Prisma Migrate's own bookkeeping, reproduced exactly so `prisma migrate deploy` and `omnibase db migrate`
// can take turns on one database: the same table, the same lock key, the same checksum.
const PRISMA_MIGRATE_LOCK_KEY = 72707369;
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
)`;

export interface LocalMigration {
  readonly name: string;
  readonly script: string;
  readonly checksum: string;
}

interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  started_at: Date;
  logs: string | null;
}

export type MigrationState = 'applied' | 'pending' | 'failed' | 'modified' | 'unknown';

export interface MigrationStatus {
  readonly name: string;
  readonly state: MigrationState;
  readonly appliedAt: Date | null;
}

/** A migration failed now or earlier; like Prisma Migrate, nothing more is applied until someone resolves it. */
export class MigrationFailedError extends Error {
  override readonly name = 'MigrationFailedError';
  constructor(
    readonly migration: string,
    reason: string,
  ) {
    super(
      `migration ${migration} failed: ${reason}. Fix the database by hand, then mark it rolled back ` +
        `(UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = '${migration}') and migrate again`,
    );
  }
}

export async function readLocalMigrations(dir = migrationsDir()): Promise<LocalMigration[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
  return Promise.all(
    names.map(async (name) => {
      const bytes = await readFile(join(dir, name, 'migration.sql'));
      return { name, script: bytes.toString('utf8'), checksum: createHash('sha256').update(bytes).digest('hex') };
    }),
  );
}

async function appliedRows(session: SqlSession): Promise<MigrationRow[]> {
  const [table] = await session.query<{ present: boolean }>(
    `SELECT to_regclass('_prisma_migrations') IS NOT NULL AS present`,
  );
  if (!table?.present) return [];
  return session.query<MigrationRow>(
    `SELECT migration_name, checksum, finished_at, rolled_back_at, started_at, logs
       FROM _prisma_migrations ORDER BY started_at, migration_name`,
  );
}

function isFailed(row: MigrationRow): boolean {
  return row.finished_at === null && row.rolled_back_at === null;
}

/** Applies every pending migration in name order and returns the names applied (none when up to date). */
export async function migrate(db: Database, local?: LocalMigration[]): Promise<string[]> {
  const migrations = local ?? (await readLocalMigrations());
  return db.withSession(async (session) => {
    await session.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
    try {
      await session.exec(CREATE_MIGRATIONS_TABLE);
      const rows = await appliedRows(session);
      const failed = rows.find(isFailed);
      if (failed) throw new MigrationFailedError(failed.migration_name, failed.logs ?? 'it did not finish');
      const done = new Set(rows.filter((row) => row.finished_at && !row.rolled_back_at).map((r) => r.migration_name));
      const applied: string[] = [];
      for (const migration of migrations) {
        if (done.has(migration.name)) continue;
        await applyOne(session, migration);
        applied.push(migration.name);
      }
      return applied;
    } finally {
      await session.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
    }
  });
}

async function applyOne(session: SqlSession, migration: LocalMigration): Promise<void> {
  const id = randomUUID();
  await session.query(
    `INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, applied_steps_count)
     VALUES ($1, $2, $3, now(), 0)`,
    [id, migration.checksum, migration.name],
  );
  try {
    await session.exec(migration.script);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    // A script that failed part-way may leave its session in an aborted transaction block.
    await session.exec('ROLLBACK').catch(() => {});
    await session.query('UPDATE _prisma_migrations SET logs = $2 WHERE id = $1', [id, reason]);
    throw new MigrationFailedError(migration.name, reason);
  }
  await session.query(
    'UPDATE _prisma_migrations SET finished_at = now(), applied_steps_count = 1 WHERE id = $1',
    [id],
  );
}

/** Every migration known locally or recorded in the database, with its state. */
export async function migrationStatus(db: Database, local?: LocalMigration[]): Promise<MigrationStatus[]> {
  const migrations = local ?? (await readLocalMigrations());
  const rows = await db.withSession(appliedRows);
  const latest = new Map<string, MigrationRow>();
  for (const row of rows) latest.set(row.migration_name, row);
  const statuses: MigrationStatus[] = migrations.map((migration) => {
    const row = latest.get(migration.name);
    latest.delete(migration.name);
    if (!row || row.rolled_back_at) return { name: migration.name, state: 'pending', appliedAt: null };
    if (isFailed(row)) return { name: migration.name, state: 'failed', appliedAt: null };
    const state = row.checksum === migration.checksum ? 'applied' : 'modified';
    return { name: migration.name, state, appliedAt: row.finished_at };
  });
  for (const row of latest.values()) {
    statuses.push({ name: row.migration_name, state: isFailed(row) ? 'failed' : 'unknown', appliedAt: row.finished_at });
  }
  return statuses;
}

/** True when every local migration is applied and none has failed: what readiness means. */
export function isUpToDate(statuses: readonly MigrationStatus[]): boolean {
  return statuses.every((status) => status.state === 'applied' || status.state === 'modified' || status.state === 'unknown');
}

/** A command needs migrations a PostgreSQL database lacks: which, and how to apply them. */
export class PendingMigrationsError extends Error {
  override readonly name = 'PendingMigrationsError';
  constructor(
    where: string,
    readonly pending: readonly MigrationStatus[],
  ) {
    const names = pending.map((status) => (status.state === 'failed' ? `${status.name} (failed)` : status.name));
    super(
      `${where} has ${pending.length} migration(s) not applied (${names.join(', ')}); apply them with \`omnibase db migrate\` ` +
        '(or start the server with `omnibase serve --migrate`)',
    );
  }
}

/** The database server cannot be reached: nothing listens, the host does not resolve or answer. */
export class DatabaseUnreachableError extends Error {
  override readonly name = 'DatabaseUnreachableError';
}

// Connection failures of pg: socket errors, and SQLSTATE classes 08 (connection exception) and 57P03 (starting up).
const UNREACHABLE = /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ECONNRESET|08...|57P03)$/;
// The server answered but refused these credentials or this database (28: authorization, 3D000: no such database).
const MISCONFIGURED = /^(28...|3D000)$/;

/** A failure to start using the database, as the error a user can act on (or as it was). */
export function explainConnectionError(error: unknown, target: DatabaseTarget): unknown {
  if (target.engine !== 'postgres' || !(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  const where = describeTarget(target);
  if ((typeof code === 'string' && UNREACHABLE.test(code)) || /timeout exceeded when trying to connect/i.test(error.message)) {
    return new DatabaseUnreachableError(`cannot reach ${where} (${error.message || code}); is it running, and is DATABASE_URL right?`);
  }
  if (typeof code === 'string' && MISCONFIGURED.test(code)) {
    return new DatabaseConfigError(`DATABASE_URL does not work: ${where} says "${error.message}"; check its user, password and database name`);
  }
  return error;
}

/**
 * Makes an open database ready for the registry's code, as every command that uses it must before its first
 * query. The embedded database belongs to this installation and is migrated (as \`serve\` always did);
 * PostgreSQL is migrated only when asked (\`serve --migrate\`), since that is an operator's step, and is
 * otherwise checked: PendingMigrationsError names what is missing. Returns the migrations applied.
 */
export async function prepareDatabase(db: Database, target: DatabaseTarget, { migrate: apply = false } = {}): Promise<string[]> {
  try {
    if (target.engine === 'pglite' || apply) return await migrate(db);
    const behind = (await migrationStatus(db)).filter((status) => status.state === 'pending' || status.state === 'failed');
    if (behind.length) throw new PendingMigrationsError(describeTarget(target), behind);
    return [];
  } catch (error) {
    throw explainConnectionError(error, target);
  }
}
