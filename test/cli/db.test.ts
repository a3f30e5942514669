import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../cli/exit-codes.js';
import { openDatabase } from '../../src/db/database.js';
import { readLocalMigrations, type LocalMigration } from '../../src/db/migrate.js';
import { describeTarget } from '../../src/db/target.js';
import { cli, cliDatabase, setEnv, type CliDatabase } from './helpers.js';

let local: LocalMigration[];
beforeAll(async () => {
  local = await readLocalMigrations();
  expect(local.length).toBeGreaterThan(0);
});

/** Uses a database of its own for the enclosing describe, selected through the environment as in real use. */
function useCliDatabase(): () => CliDatabase {
  let database: CliDatabase | undefined;
  let restoreEnv: (() => void) | undefined;
  beforeAll(async () => {
    database = await cliDatabase();
  });
  afterAll(async () => {
    await database?.dispose();
  });
  beforeEach(() => {
    restoreEnv = setEnv(database!.env);
  });
  afterEach(() => {
    restoreEnv?.();
  });
  return () => database!;
}

function statusLine(name: string, state: string): RegExp {
  return new RegExp(`^${name} +${state}(?: +\\d{4}-\\d\\d-\\d\\dT\\S+Z)? *$`, 'm');
}

describe('omnibase db migrate and db status', () => {
  const database = useCliDatabase();

  it('lists every migration as pending on a fresh database', async () => {
    const result = await cli('db', 'status');
    expect(result.code).toBe(ExitCode.Ok);
    expect(result.stderr).toBe('');
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(describeTarget(database().target));
    expect(lines).toHaveLength(local.length + 1);
    expect(local[0]!.name).toMatch(/^\d{14}_init$/);
    for (const migration of local) expect(result.stdout).toMatch(statusLine(migration.name, 'pending'));
  });

  it('applies the pending migrations and names each', async () => {
    const result = await cli('db', 'migrate');
    expect(result).toEqual({
      code: ExitCode.Ok,
      stdout: local.map((migration) => `applied ${migration.name}\n`).join(''),
      stderr: '',
    });
  });

  it('says the database is up to date when nothing is pending', async () => {
    const result = await cli('db', 'migrate');
    expect(result).toEqual({ code: ExitCode.Ok, stdout: `${describeTarget(database().target)} is up to date\n`, stderr: '' });
  });

  it('lists every migration as applied, with when', async () => {
    const result = await cli('db', 'status');
    expect(result.code).toBe(ExitCode.Ok);
    for (const migration of local) {
      expect(result.stdout).toMatch(new RegExp(`^${migration.name} +applied +\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z$`, 'm'));
    }
    expect(result.stdout).not.toContain('pending');
  });

  it('prints the status as JSON with --output json', async () => {
    const before = Date.now();
    const result = await cli('db', 'status', '--output', 'json');
    expect(result.code).toBe(ExitCode.Ok);
    expect(result.stderr).toBe('');
    const statuses = JSON.parse(result.stdout) as Array<{ name: string; state: string; appliedAt: string | null }>;
    expect(statuses.map(({ name, state }) => ({ name, state }))).toEqual(
      local.map((migration) => ({ name: migration.name, state: 'applied' })),
    );
    for (const status of statuses) {
      const appliedAt = Date.parse(status.appliedAt ?? '');
      expect(appliedAt).toBeLessThanOrEqual(before);
      expect(before - appliedAt).toBeLessThan(10 * 60_000);
    }
  });

  it('rejects an unknown --output with exit 2, naming the option', async () => {
    const result = await cli('db', 'status', '--output', 'xml');
    expect(result.code).toBe(ExitCode.InvalidInput);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^Usage Error: Invalid value for --output: expected one of "human", "json", or "yaml" \(got "xml"\)\n/);
  });
});

describe('omnibase db with a failed migration', () => {
  const database = useCliDatabase();
  const broken = '20991231000000_broken';

  beforeAll(async () => {
    const restore = setEnv(database().env);
    try {
      expect((await cli('db', 'migrate')).code).toBe(ExitCode.Ok);
    } finally {
      restore();
    }
    // The CLI has closed the database: a PGlite data dir may be open in one instance at a time.
    const db = await openDatabase(database().target);
    try {
      await db.withSession((session) =>
        session.query(
          `INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, logs, applied_steps_count)
           VALUES ($1, $2, $3, now(), $4, 0)`,
          [randomUUID(), '0'.repeat(64), broken, 'syntax error at or near "BOOM"'],
        ),
      );
    } finally {
      await db.close();
    }
  });

  it('refuses to migrate, naming the migration and how to resolve it, on stderr', async () => {
    const result = await cli('db', 'migrate');
    expect(result.code).toBe(ExitCode.Unexpected);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `error: migration ${broken} failed: syntax error at or near "BOOM". Fix the database by hand, then mark it ` +
        `rolled back (UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = '${broken}') ` +
        'and migrate again\n',
    );
  });

  it('shows the migration as failed', async () => {
    const human = await cli('db', 'status');
    expect(human.code).toBe(ExitCode.Ok);
    expect(human.stdout).toMatch(statusLine(broken, 'failed'));
    for (const migration of local) expect(human.stdout).toMatch(statusLine(migration.name, 'applied'));

    const json = await cli('db', 'status', '--output', 'json');
    expect(json.code).toBe(ExitCode.Ok);
    expect(JSON.parse(json.stdout)).toContainEqual({ name: broken, state: 'failed', appliedAt: null });
  });

  it('migrates again once the failure is marked rolled back, as the error message says', async () => {
    const db = await openDatabase(database().target);
    try {
      await db.withSession((session) =>
        session.query('UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = $1', [broken]),
      );
    } finally {
      await db.close();
    }
    const result = await cli('db', 'migrate');
    expect(result).toEqual({ code: ExitCode.Ok, stdout: `${describeTarget(database().target)} is up to date\n`, stderr: '' });
    expect((await cli('db', 'status')).stdout).toMatch(statusLine(broken, 'unknown'));
  });
});

describe('omnibase db with an unusable DATABASE_URL', () => {
  let restoreEnv: () => void;
  afterEach(() => restoreEnv());

  it.each([['migrate'], ['status']])('db %s rejects a non-PostgreSQL URL with exit 2 and one clean line', async (command) => {
    restoreEnv = setEnv({ DATABASE_URL: 'mysql://x', OMNIBASE_DATA_DIR: undefined });
    const result = await cli('db', command);
    expect(result.code).toBe(ExitCode.InvalidInput);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'error: DATABASE_URL must be a postgresql:// URL; unset it to use the embedded database (got "mysql:…")\n',
    );
  });

  it('reports an unreachable PostgreSQL as one error line with exit 3, for every command that opens it', async () => {
    restoreEnv = setEnv({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/nowhere', OMNIBASE_DATA_DIR: undefined });
    for (const argv of [['db', 'status'], ['db', 'migrate'], ['token', 'list']]) {
      const result = await cli(...argv);
      expect(result.code, argv.join(' ')).toBe(ExitCode.Unreachable);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(
        /^error: cannot reach PostgreSQL at 127\.0\.0\.1:1\/nowhere \(.*ECONNREFUSED.*\); is it running, and is DATABASE_URL right\?\n$/,
      );
    }
  });
  it.runIf(process.env.TEST_DATABASE_URL)('reports a database name the server does not have as a bad DATABASE_URL, exit 2', async () => {
    const url = new URL(process.env.TEST_DATABASE_URL!);
    url.pathname = '/omnibase_no_such_database';
    restoreEnv = setEnv({ DATABASE_URL: url.toString(), OMNIBASE_DATA_DIR: undefined });
    const result = await cli('token', 'list');
    expect(result).toEqual({
      code: ExitCode.InvalidInput,
      stdout: '',
      stderr:
        `error: DATABASE_URL does not work: PostgreSQL at ${url.hostname}:${url.port || '5432'}/omnibase_no_such_database says ` +
        '"database "omnibase_no_such_database" does not exist"; check its user, password and database name\n',
    });
  });
});
