import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.js';
import { isUpToDate, migrate, MigrationFailedError, migrationStatus, readLocalMigrations } from '../../src/db/migrate.js';
import { migrationsDir } from '../../src/paths.js';
import { freshTarget, testEngine, type TestDatabase } from '../support/database.js';

describe('migrations on a fresh database', () => {
  let fresh: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    fresh = await freshTarget();
    db = await openDatabase(fresh.target);
  });
  afterAll(async () => {
    await db.close();
    await fresh.dispose();
  });

  it('start pending, apply in order, and a second run is a no-op', async () => {
    const local = await readLocalMigrations();
    expect(local.map((migration) => migration.name)).toContain('20261124000000_init');
    expect((await migrationStatus(db)).map((status) => status.state)).toEqual(local.map(() => 'pending'));
    expect(await migrate(db)).toEqual(local.map((migration) => migration.name));
    expect(await migrate(db)).toEqual([]);
    const statuses = await migrationStatus(db);
    expect(statuses.map((status) => status.state)).toEqual(local.map(() => 'applied'));
    expect(isUpToDate(statuses)).toBe(true);
  });

  it('are recorded as Prisma Migrate records them: sha-256 of the file, finished, one step', async () => {
    const rows = await db.withSession((session) =>
      session.query<Record<string, unknown>>(
        `SELECT id, checksum, migration_name, finished_at, rolled_back_at, logs, applied_steps_count
           FROM _prisma_migrations ORDER BY migration_name`,
      ),
    );
    const local = await readLocalMigrations();
    expect(rows).toEqual(
      await Promise.all(
        local.map(async (migration) => ({
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          checksum: createHash('sha256').update(await readFile(join(migrationsDir(), migration.name, 'migration.sql'))).digest('hex'),
          migration_name: migration.name,
          finished_at: expect.any(Date),
          rolled_back_at: null,
          logs: null,
          applied_steps_count: 1,
        })),
      ),
    );
  });

  it('match schema.prisma: every model and field is written and read through the generated client', async () => {
    const uuid = '6f1c2a9e-1111-4222-8333-444455556666';
    const component = await db.prisma.component.create({
      data: {
        uuid,
        name: 'yaml-lint',
        version: '1.0.0-rc.1+build.5',
        versionKey: 'key',
        type: 'VALIDATOR',
        lifecycle: 'DEPRECATED',
        description: 'Lints YAML files',
        owner: 'platform-team',
        tags: ['yaml', 'canary'],
        document: { any: ['json', 1, null] },
        revision: 1,
        history: { create: { revision: 1, document: { a: 1 }, patch: { b: null }, actor: 'tester' } },
        changes: { create: { kind: 'REGISTERED', revision: 1 } },
        dependencies: {
          create: [
            { position: 0, dependencyName: 'yaml-parser', versionSpec: '^2.1.0' },
            { position: 1, dependencyUuid: '0b6d0000-0000-4000-8000-000000000000' },
          ],
        },
      },
      include: { history: true, changes: true, dependencies: { orderBy: { position: 'asc' } } },
    });
    expect(component).toMatchObject({
      uuid,
      type: 'VALIDATOR',
      lifecycle: 'DEPRECATED',
      tags: ['yaml', 'canary'],
      document: { any: ['json', 1, null] },
      createdAt: expect.any(Date),
      updatedAt: expect.any(Date),
      history: [{ componentUuid: uuid, revision: 1, document: { a: 1 }, patch: { b: null }, actor: 'tester', at: expect.any(Date) }],
      changes: [{ sequence: 1n, kind: 'REGISTERED', componentUuid: uuid, revision: 1, at: expect.any(Date) }],
      dependencies: [
        { componentUuid: uuid, position: 0, dependencyName: 'yaml-parser', versionSpec: '^2.1.0', dependencyUuid: null },
        { componentUuid: uuid, position: 1, dependencyName: null, versionSpec: null, dependencyUuid: '0b6d0000-0000-4000-8000-000000000000' },
      ],
    });
    // Written by the change feed's trigger in the registry; here only to check the model maps the table.
    await db.prisma.resolvedDependency.deleteMany({ where: { componentUuid: uuid } });
    await db.prisma.resolvedDependency.create({ data: { componentUuid: uuid, position: 0, versionSpec: '^2.1.0', resolvedUuid: uuid } });
    expect(await db.prisma.resolvedDependency.findMany({ where: { componentUuid: uuid } })).toEqual([
      { componentUuid: uuid, position: 0, versionSpec: '^2.1.0', resolvedUuid: uuid },
    ]);
    const invalid = db.prisma.componentDependency.create({ data: { componentUuid: uuid, position: 2, dependencyName: 'half' } });
    await expect(invalid).rejects.toThrow(/component_dependencies_kind_check/);
    const [row] = await db.withSession((session) =>
      session.query<{ vector: string }>(`SELECT search_vector::text AS vector FROM components WHERE uuid = $1`, [uuid]),
    );
    expect(row!.vector).toContain("'lint':");
    const token = await db.prisma.apiToken.create({
      data: { id: 'abc123', name: 'ci', secretHash: 'f'.repeat(64), capabilities: ['REGISTRY_READ'] },
    });
    expect(token).toEqual({
      id: 'abc123',
      name: 'ci',
      secretHash: 'f'.repeat(64),
      capabilities: ['REGISTRY_READ'],
      createdAt: expect.any(Date),
      lastUsedAt: null,
      revokedAt: null,
    });
    const unknownCapability = db.prisma.apiToken.create({
      data: { id: 'abc124', name: 'ci', secretHash: 'f'.repeat(64), capabilities: ['ADMIN'] },
    });
    await expect(unknownCapability).rejects.toThrow(/api_tokens_capabilities_check/);
    await db.prisma.apiToken.deleteMany({});
    await db.prisma.componentDependency.deleteMany({});
    await db.prisma.change.deleteMany({});
    await db.prisma.componentRevision.deleteMany({});
    await db.prisma.component.delete({ where: { uuid } });
  });
});

describe('the dependencies migration', () => {
  it('fills component_dependencies from documents stored before it', async () => {
    const fresh = await freshTarget();
    const db = await openDatabase(fresh.target);
    onTestFinished(async () => {
      await db.close();
      await fresh.dispose();
    });
    const [init, ...later] = await readLocalMigrations();
    await migrate(db, [init!]);
    const document = { dependencies: [{ name: 'yaml-parser', version_spec: '^2' }, { uuid: '0b6d0000-0000-4000-8000-000000000000' }] };
    await db.withSession((session) =>
      session.query(
        `INSERT INTO components (uuid, name, version, version_key, type, lifecycle, document, revision)
         VALUES ('6f1c2a9e-1111-4222-8333-444455556666', 'old', '1.0.0', 'k', 'TOOL', 'ACTIVE', $1, 1),
                ('6f1c2a9e-1111-4222-8333-444455556667', 'bare', '1.0.0', 'k', 'TOOL', 'ACTIVE', '{}', 1)`,
        [JSON.stringify(document)],
      ),
    );
    await migrate(db, [init!, ...later]);
    const rows = await db.prisma.componentDependency.findMany({ orderBy: { position: 'asc' } });
    expect(rows.map(({ position, dependencyName, versionSpec, dependencyUuid }) => [position, dependencyName, versionSpec, dependencyUuid])).toEqual([
      [0, 'yaml-parser', '^2', null],
      [1, null, null, '0b6d0000-0000-4000-8000-000000000000'],
    ]);
  });
});

describe('a migration that fails', () => {
  let fresh: TestDatabase;
  let db: Database;
  let dir: string;
  beforeEach(async () => {
    fresh = await freshTarget();
    db = await openDatabase(fresh.target);
    dir = await mkdtemp(join(tmpdir(), 'omnibase-migrations-'));
  });
  afterEach(async () => {
    await db.close();
    await fresh.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  async function writeMigration(name: string, sql: string) {
    await mkdir(join(dir, name), { recursive: true });
    await writeFile(join(dir, name, 'migration.sql'), sql);
  }

  it('is recorded with its error, and nothing more is applied until it is rolled back', async () => {
    await writeMigration('1_first', 'CREATE TABLE first_table (id int);');
    await writeMigration('2_broken', 'CREATE TABLE broken (id int);\nSELECT * FROM no_such_table;');
    await writeMigration('3_third', 'CREATE TABLE third_table (id int);');
    const local = await readLocalMigrations(dir);

    const failure = await migrate(db, local).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MigrationFailedError);
    expect((failure as Error).message).toMatch(/^migration 2_broken failed: .*no_such_table.*mark it rolled back/);
    expect((await migrationStatus(db, local)).map((status) => [status.name, status.state])).toEqual([
      ['1_first', 'applied'],
      ['2_broken', 'failed'],
      ['3_third', 'pending'],
    ]);

    const refusal = await migrate(db, local).catch((error: unknown) => error);
    expect((refusal as Error).message).toMatch(/^migration 2_broken failed/);
    const [third] = await db.withSession((session) => session.query<{ present: boolean }>(`SELECT to_regclass('third_table') IS NOT NULL AS present`));
    expect(third!.present).toBe(false);

    // The operator repairs the database, marks the failure rolled back and fixes the file.
    await db.withSession((session) => session.exec(`DROP TABLE IF EXISTS broken; UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = '2_broken'`));
    await writeMigration('2_broken', 'CREATE TABLE broken (id int);');
    const fixed = await readLocalMigrations(dir);
    expect(await migrate(db, fixed)).toEqual(['2_broken', '3_third']);
    expect((await migrationStatus(db, fixed)).map((status) => status.state)).toEqual(['applied', 'applied', 'applied']);
  });

  it('reports a migration edited after it was applied as modified, and one only in the database as unknown', async () => {
    await writeMigration('1_first', 'CREATE TABLE first_table (id int);');
    await writeMigration('2_second', 'CREATE TABLE second_table (id int);');
    await migrate(db, await readLocalMigrations(dir));
    await writeMigration('1_first', 'CREATE TABLE first_table (id bigint);');
    await rm(join(dir, '2_second'), { recursive: true });
    const statuses = await migrationStatus(db, await readLocalMigrations(dir));
    expect(statuses.map((status) => [status.name, status.state])).toEqual([
      ['1_first', 'modified'],
      ['2_second', 'unknown'],
    ]);
  });
});

describe.runIf(testEngine === 'postgres')('concurrent migrators', () => {
  it('take turns on the advisory lock: each migration is applied once', async () => {
    const fresh = await freshTarget();
    const databases = await Promise.all([openDatabase(fresh.target), openDatabase(fresh.target), openDatabase(fresh.target)]);
    onTestFinished(async () => {
      await Promise.all(databases.map((db) => db.close()));
      await fresh.dispose();
    });
    const results = await Promise.all(databases.map((db) => migrate(db)));
    const local = (await readLocalMigrations()).map((migration) => migration.name);
    expect(results.flat().sort()).toEqual(local);
    const [count] = await databases[0]!.withSession((session) => session.query<{ n: number }>('SELECT count(*)::int AS n FROM _prisma_migrations'));
    expect(count!.n).toBe(local.length);
  });
});
