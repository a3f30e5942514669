import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryCache } from '../../cli/cache/store.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrate, readLocalMigrations } from '../../src/db/migrate.js';
import type { DatabaseTarget } from '../../src/db/target.js';
import { validateMetadata } from '../../src/metadata/validate.js';
import { columnsOf, declarationRowsOf } from '../../src/resolvers/component-row.js';
import { updateComponent } from '../../src/resolvers/update.js';
import { freshTarget, testEngine, type TestDatabase } from '../support/database.js';
import { metadata } from '../support/registry.js';
import { killChildren, startOmnibase } from '../cli/processes.js';
import { packageDir, postgresBinDir, tempDir, within } from './support.js';

const scriptsDir = join(packageDir, 'runbooks', 'scripts');
const runbooksDir = join(packageDir, 'runbooks');
const binDir = postgresBinDir();
const run = promisify(execFile);

interface ScriptResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a runbook script as an operator would, with the CLI from the sources standing in for `omnibase`. */
async function script(name: string, args: string[], env: Record<string, string | undefined>): Promise<ScriptResult> {
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    OMNIBASE: `${process.execPath} --import tsx ${join(packageDir, 'cli', 'main.ts')}`,
    OMNIBASE_LOG_LEVEL: 'silent',
    ...(binDir ? { PG_BIN: binDir } : {}),
  };
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[key];
    else childEnv[key] = value;
  }
  try {
    const { stdout, stderr } = await run('bash', [join(scriptsDir, name), ...args], { cwd: packageDir, env: childEnv, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** Every row of every table, each as JSON text, in a stable order: what a restore must give back exactly. */
async function snapshot(db: Database): Promise<Record<string, string[]>> {
  const tables = await db.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  const result: Record<string, string[]> = {};
  for (const { name } of tables) {
    const rows = await db.query<{ row: string }>(`SELECT to_jsonb(t)::text AS row FROM "${name}" t ORDER BY 1`);
    result[name] = rows.map((row) => row.row);
  }
  return result;
}

/**
 * 1,000 component versions over 100 names, each as register would store it (validated document, its columns, revision 1,
 * its declarations, its change), written in bulk; then a real update of every tenth, for history with patches.
 */
async function seedRegistry(db: Database): Promise<void> {
  const documents = [];
  for (let name = 0; name < 100; name++) {
    for (let version = 0; version < 10; version++) {
      const dependencies = name > 0 && version === 0 ? [{ name: `component-${name - 1}`, version_spec: '^1.0.0' }] : [];
      documents.push(
        validateMetadata(
          metadata({ name: `component-${name}`, version: `1.${version}.0`, tags: [`group-${name % 7}`], description: `Component ${name}, release ${version}`, dependencies }),
        ),
      );
    }
  }
  await db.prisma.$transaction([
    db.prisma.component.createMany({ data: documents.map((document) => ({ uuid: document.uuid, ...columnsOf(document), revision: 1 })) }),
    db.prisma.componentRevision.createMany({
      data: documents.map((document) => ({ componentUuid: document.uuid, revision: 1, document: columnsOf(document).document, actor: 'runbook-test' })),
    }),
    db.prisma.componentDependency.createMany({ data: documents.flatMap((document) => declarationRowsOf(document.uuid, document)) }),
    db.prisma.change.createMany({ data: documents.map((document) => ({ kind: 'REGISTERED' as const, componentUuid: document.uuid, revision: 1 })) }),
  ]);
  const ctx = { db, actor: 'runbook-test' };
  for (const document of documents.filter((_, index) => index % 10 === 9)) {
    await updateComponent(ctx, document.uuid, { lifecycle: 'active', annotations: { reviewed: true } });
  }
}

describe('runbooks quote the scripts the tests run', () => {
  it('every script is quoted by a runbook, and every script a runbook names exists', () => {
    const scripts = readdirSync(scriptsDir).filter((name) => name.endsWith('.sh') && name !== 'lib.sh');
    const runbooks = readdirSync(runbooksDir).filter((name) => name.endsWith('.md'));
    expect(runbooks.sort()).toEqual(['README.md', 'backup-restore.md', 'cache-purge.md', 'troubleshooting.md', 'upgrade.md']);
    const text = runbooks.map((name) => readFileSync(join(runbooksDir, name), 'utf8')).join('\n');
    for (const name of scripts) expect(text, `a runbook quotes ${name}`).toContain(`runbooks/scripts/${name}`);
    for (const [, named] of text.matchAll(/runbooks\/scripts\/([\w-]+\.sh)/g)) expect(existsSync(join(scriptsDir, named!)), named).toBe(true);
  });
});

describe.runIf(testEngine === 'postgres')('backup and restore: PostgreSQL (pg_dump / pg_restore)', () => {
  let database: TestDatabase;
  let work: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    database = await freshTarget();
    work = await tempDir('omnibase-backup-');
  });
  afterAll(async () => {
    await database?.dispose();
    await work?.remove();
  });

  it.runIf(binDir)('backs up 1,000 components, survives the database being dropped, restores every document', async () => {
    const url = (database.target as Extract<DatabaseTarget, { engine: 'postgres' }>).url;
    const db = await openDatabase(database.target);
    await migrate(db);
    await seedRegistry(db);
    const before = await snapshot(db);
    expect(before.components).toHaveLength(1000);
    expect(before.component_revisions).toHaveLength(1100);
    await db.close();

    const file = join(work.dir, 'registry.dump');
    const backup = await script('backup-postgres.sh', [file], { DATABASE_URL: url });
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    expect(backup.stdout).toMatch(/^backed up registry\.dump: \d+ tables, \d+ bytes\n$/);
    expect(await script('backup-postgres.sh', [file], { DATABASE_URL: url })).toMatchObject({
      code: 2,
      stderr: `error: ${file} exists already; choose a new name, a backup is never overwritten\n`,
    });

    // The disaster: the database is gone; an empty one of the same name is all there is.
    const name = new URL(url).pathname.slice(1);
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();

    const restore = await script('restore-postgres.sh', [file], { DATABASE_URL: url });
    expect(restore.stderr).toBe('');
    expect(restore.code).toBe(0);
    const migrations = await readLocalMigrations();
    for (const migration of migrations) expect(restore.stdout).toMatch(new RegExp(`^${migration.name} +applied `, 'm'));
    expect(restore.stdout).toMatch(/restored registry\.dump\n$/);

    const restored = await openDatabase(database.target);
    try {
      expect(await snapshot(restored)).toEqual(before);
    } finally {
      await restored.close();
    }
  }, 600_000);

  it.runIf(binDir)('refuses a file that is not a backup, and a missing DATABASE_URL, saying which', async () => {
    const bogus = join(work.dir, 'not-a-dump');
    await writeFile(bogus, 'hello');
    const url = (database.target as Extract<DatabaseTarget, { engine: 'postgres' }>).url;
    const refused = await script('restore-postgres.sh', [bogus], { DATABASE_URL: url });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`error: ${bogus} is not a pg_dump custom-format backup`);
    expect(await script('backup-postgres.sh', [join(work.dir, 'x.dump')], { DATABASE_URL: undefined })).toMatchObject({
      code: 2,
      stderr: 'error: DATABASE_URL is not set: it names the PostgreSQL database (postgresql://user:pass@host:port/db)\n',
    });
    expect(await script('restore-postgres.sh', [], { DATABASE_URL: url })).toMatchObject({ code: 2, stderr: 'error: usage: restore-postgres.sh <backup-file>\n' });
  });
});

describe.runIf(testEngine === 'pglite')('backup and restore: the embedded data directory', () => {
  let work: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    work = await tempDir('omnibase-backup-');
  });
  afterAll(() => work?.remove());

  it('backs up 1,000 components, survives the folder being deleted, restores every document', async () => {
    const dataDir = join(work.dir, 'registry');
    const target: DatabaseTarget = { engine: 'pglite', dataDir };
    const db = await openDatabase(target);
    await migrate(db);
    await seedRegistry(db);
    const before = await snapshot(db);
    expect(before.components).toHaveLength(1000);

    // Open, the folder is not a consistent copy: the script refuses, naming the process that holds it.
    const archive = join(work.dir, 'registry.tar.gz');
    const whileOpen = await script('backup-embedded.sh', [archive], { OMNIBASE_DATA_DIR: dataDir });
    expect(whileOpen).toMatchObject({ code: 2, stderr: `error: the embedded database in ${dataDir} is in use by process ${process.pid}: stop omnibase serve first\n` });
    const postmasterPid = readFileSync(join(dataDir, 'postmaster.pid'));
    await db.close();

    // After a crash PGlite's postmaster.pid stays behind: refused until the database has been opened and closed once.
    await writeFile(join(dataDir, 'postmaster.pid'), postmasterPid);
    const afterCrash = await script('backup-embedded.sh', [archive], { OMNIBASE_DATA_DIR: dataDir });
    expect(afterCrash.code).toBe(2);
    expect(afterCrash.stderr).toContain("was not closed cleanly): stop omnibase serve; after a crash, run 'omnibase db status' once");
    await run(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'db', 'status'], { cwd: packageDir, env: { ...process.env, OMNIBASE_DATA_DIR: dataDir, DATABASE_URL: '' } });
    expect(existsSync(join(dataDir, 'postmaster.pid'))).toBe(false);

    const backup = await script('backup-embedded.sh', [archive], { OMNIBASE_DATA_DIR: dataDir });
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    expect(backup.stdout).toMatch(new RegExp(`^backed up ${dataDir} to registry\\.tar\\.gz: \\d+ bytes\\n$`));

    await rm(dataDir, { recursive: true, force: true });
    const restore = await script('restore-embedded.sh', [archive], { OMNIBASE_DATA_DIR: dataDir });
    expect(restore.stderr).toBe('');
    expect(restore.code).toBe(0);
    expect(restore.stdout).not.toContain('kept the previous database');
    for (const migration of await readLocalMigrations()) expect(restore.stdout).toMatch(new RegExp(`^${migration.name} +applied `, 'm'));

    const restored = await openDatabase(target);
    try {
      expect(await snapshot(restored)).toEqual(before);
    } finally {
      await restored.close();
    }

    // Restoring over an existing database keeps that one aside rather than deleting it.
    const again = await script('restore-embedded.sh', [archive], { OMNIBASE_DATA_DIR: dataDir });
    expect(again.code).toBe(0);
    const aside = /kept the previous database as (\S+)/.exec(again.stdout)?.[1];
    expect(aside).toMatch(new RegExp(`^${dataDir}\\.replaced-\\d{8}T\\d{6}Z$`));
    expect(existsSync(join(aside!, 'PG_VERSION'))).toBe(true);
  }, 600_000);

  it('refuses an archive that is not a data folder, and a folder with no database', async () => {
    const bogus = join(work.dir, 'bogus.tar.gz');
    await mkdir(join(work.dir, 'bogus'), { recursive: true });
    await writeFile(join(work.dir, 'bogus', 'note.txt'), 'not a database');
    await run('tar', ['-C', work.dir, '-czf', bogus, 'bogus']);
    const refused = await script('restore-embedded.sh', [bogus], { OMNIBASE_DATA_DIR: join(work.dir, 'elsewhere') });
    expect(refused).toMatchObject({ code: 2, stderr: `error: ${bogus} is not a backup-embedded.sh archive\n` });
    const empty = await script('backup-embedded.sh', [join(work.dir, 'x.tar.gz')], { OMNIBASE_DATA_DIR: join(work.dir, 'bogus') });
    expect(empty).toMatchObject({ code: 2, stderr: `error: ${join(work.dir, 'bogus')} holds no embedded database (no PG_VERSION); set OMNIBASE_DATA_DIR\n` });
  });
});

describe('upgrade and migration', () => {
  let database: TestDatabase | undefined;
  let work: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    work = await tempDir('omnibase-upgrade-');
    if (testEngine === 'postgres') database = await freshTarget();
  });
  afterAll(async () => {
    await database?.dispose();
    await work?.remove();
  });

  it.runIf(testEngine === 'pglite' || binDir)('backs up, applies what is pending, and checks that nothing is left', async () => {
    const target: DatabaseTarget = database?.target ?? { engine: 'pglite', dataDir: join(work.dir, 'registry') };
    const env = target.engine === 'postgres' ? { DATABASE_URL: target.url, OMNIBASE_DATA_DIR: undefined } : { DATABASE_URL: undefined, OMNIBASE_DATA_DIR: target.dataDir };
    // The database as an older release left it: only the first migration applied.
    const local = await readLocalMigrations();
    expect(local.length).toBeGreaterThan(1);
    const old = await openDatabase(target);
    await migrate(old, local.slice(0, 1));
    await old.close();

    const backupFile = join(work.dir, target.engine === 'postgres' ? 'before-upgrade.dump' : 'before-upgrade.tar.gz');
    const upgrade = await script('upgrade.sh', [backupFile], env);
    expect(upgrade.stderr).toBe('');
    expect(upgrade.code).toBe(0);
    expect(existsSync(backupFile)).toBe(true);
    const [before, after] = upgrade.stdout.split('--- after\n');
    expect(before).toMatch(new RegExp(`^${local[0]!.name} +applied `, 'm'));
    for (const pending of local.slice(1)) {
      expect(before).toMatch(new RegExp(`^${pending.name} +pending`, 'm'));
      expect(before).toContain(`applied ${pending.name}\n`);
      expect(after).toMatch(new RegExp(`^${pending.name} +applied `, 'm'));
    }
    expect(after).toMatch(/upgrade complete; backup of the previous state: .*before-upgrade/);

    // Run again on an up-to-date database: nothing to apply, still a fresh backup first.
    const again = await script('upgrade.sh', [`${backupFile}.2`], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('is up to date');
  }, 300_000);
});

describe.runIf(testEngine === 'pglite')('cache purge', () => {
  let work: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    work = await tempDir('omnibase-cache-');
  });
  afterAll(async () => {
    await killChildren();
    await work?.remove();
  });

  it('purge-cli-cache.sh empties the CLI cache of every registry, and only its files', async () => {
    const cacheDir = join(work.dir, 'cache');
    await mkdir(cacheDir);
    await writeFile(join(cacheDir, 'unrelated.txt'), 'keep me');
    const component = {
      uuid: '6f1c2a9e-1111-4222-8333-444455556666', name: 'yaml-lint', version: '1.4.2', type: 'VALIDATOR', lifecycle: 'ACTIVE',
      description: null, owner: null, tags: [], metadata: {}, revision: 1, createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z', dependencies: [],
    } as never;
    for (const url of ['http://127.0.0.1:4000/graphql', 'https://registry.example.com/graphql']) {
      const cache = await RegistryCache.open(cacheDir, url, () => {});
      await cache.storeComponents([component]);
      expect((await cache.stats()).components).toBe(1);
    }
    const cacheFiles = () => readdirSync(cacheDir).filter((name) => name.startsWith('registry-cache'));
    expect(cacheFiles()).toHaveLength(2);

    const purged = await script('purge-cli-cache.sh', [], { OMNIBASE_CACHE_DIR: cacheDir });
    expect(purged.code).toBe(0);
    expect(purged.stdout).toMatch(new RegExp(`^purged the CLI cache at ${cacheDir}: 2 registry cache\\(s\\), \\d+ bytes\\n$`));
    expect(cacheFiles()).toEqual([]);
    expect(readdirSync(cacheDir)).toEqual(['unrelated.txt']);
    expect((await (await RegistryCache.open(cacheDir, 'http://127.0.0.1:4000/graphql', () => {})).stats()).entries).toBe(0);

    expect((await script('purge-cli-cache.sh', [], { OMNIBASE_CACHE_DIR: join(work.dir, 'none') })).stdout).toBe(
      `no CLI cache at ${join(work.dir, 'none')}: nothing to purge\n`,
    );
    // Without OMNIBASE_CACHE_DIR the folder is $XDG_CACHE_HOME/omnibase, as the CLI resolves it.
    await mkdir(join(work.dir, 'xdg', 'omnibase'), { recursive: true });
    expect((await script('purge-cli-cache.sh', [], { OMNIBASE_CACHE_DIR: undefined, XDG_CACHE_HOME: join(work.dir, 'xdg') })).stdout).toBe(
      `the CLI cache at ${join(work.dir, 'xdg', 'omnibase')} is already empty\n`,
    );
  });

  it('restart-registry.sh pid drains the server (emptying its memory) and returns when it exited', async () => {
    const dataDir = join(work.dir, 'server-data');
    const serve = startOmnibase(['serve', '--port', '0'], { OMNIBASE_DATA_DIR: dataDir, DATABASE_URL: undefined, OMNIBASE_CONFIG_DIR: join(work.dir, 'config') });
    await serve.listening;
    const restart = await script('restart-registry.sh', ['pid', String(serve.child.pid)], {});
    expect(restart).toMatchObject({ code: 0, stdout: `registry process ${serve.child.pid} drained and exited\n` });
    expect(await within(serve.exited, 10_000, 'exit')).toBe(0);
    expect(serve.logs().map((entry) => entry.msg)).toEqual(expect.arrayContaining(['shutting down', 'drained']));
  });

  it('restart-registry.sh kubernetes and compose issue the rolling restart', async () => {
    // kubectl and docker are not installed here: stand-ins on PATH record the commands the script issues.
    const bin = join(work.dir, 'bin');
    await mkdir(bin, { recursive: true });
    const log = join(work.dir, 'commands.log');
    for (const tool of ['kubectl', 'docker']) {
      await writeFile(join(bin, tool), `#!/bin/sh\necho "${tool} $*" >> "${log}"\n`);
      await chmod(join(bin, tool), 0o755);
    }
    const env = { PATH: `${bin}:${process.env.PATH}` };
    expect((await script('restart-registry.sh', ['kubernetes', 'registry-prod'], env)).code).toBe(0);
    expect((await script('restart-registry.sh', ['compose'], env)).code).toBe(0);
    expect(readFileSync(log, 'utf8')).toBe(
      'kubectl --namespace registry-prod rollout restart deployment/omnibase-registry\n' +
        'kubectl --namespace registry-prod rollout status deployment/omnibase-registry --timeout=10m\n' +
        `docker compose -f ${join(packageDir, 'deploy', 'docker-compose.yml')} restart registry\n`,
    );
    expect(await script('restart-registry.sh', ['reboot'], env)).toMatchObject({
      code: 2,
      stderr: 'error: usage: restart-registry.sh kubernetes [namespace] | compose | pid <pid>\n',
    });
  });
});

describe.runIf(testEngine === 'pglite')('troubleshooting: diagnose.sh', () => {
  let work: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    work = await tempDir('omnibase-diagnose-');
  });
  afterAll(async () => {
    await killChildren();
    await work?.remove();
  });

  it('reports a healthy instance, and a process that does not answer', async () => {
    const serve = startOmnibase(['serve', '--port', '0'], { OMNIBASE_DATA_DIR: join(work.dir, 'data'), DATABASE_URL: undefined, OMNIBASE_CONFIG_DIR: join(work.dir, 'config') });
    const url = await serve.listening;
    const healthy = await script('diagnose.sh', [url], {});
    expect(healthy.code).toBe(0);
    expect(healthy.stdout).toContain('healthz: 200\nreadyz: 200 {"status":"ready"}\nmetrics:\n');
    expect(healthy.stdout).toMatch(/^ {2}registry_db_pool_connections\{state="waiting"\} 0$/m);
    expect(healthy.stdout).toMatch(/diagnosis: healthy\n$/);
    serve.child.kill('SIGTERM');
    expect(await within(serve.exited, 10_000, 'exit')).toBe(0);

    const gone = await script('diagnose.sh', [url], {});
    expect(gone.code).toBe(2);
    expect(gone.stdout).toContain('healthz: 000\ndiagnosis: no process answers at');
  });
});
