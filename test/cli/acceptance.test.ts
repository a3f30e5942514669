import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../cli/exit-codes.js';
import { testEngine } from '../support/database.js';
import { cliDatabase, tempDir, type CliDatabase } from './helpers.js';
import { buildCli, omnibase, startOmnibase, type OmnibaseProcess } from './processes.js';

const VALIDATOR = {
  schema_version: '0.3',
  uuid: '6f1c2a9e-1111-4222-8333-444455556666',
  name: 'yaml-lint',
  version: '1.4.2',
  type: 'validator',
  lifecycle: 'active',
  tags: ['yaml', 'canary'],
};

// The milestone's acceptance scenarios, each against the built CLI and a real server, both as processes.
describe('omnibase CLI against a running registry (subprocesses)', () => {
  let database: CliDatabase;
  let temp: { dir: string; remove(): Promise<void> };
  let server: OmnibaseProcess | undefined;
  let url: string;
  let env: Record<string, string | undefined>;
  let serverEnv: Record<string, string | undefined>;
  const file = (name: string) => join(temp.dir, name);

  beforeAll(async () => {
    await buildCli();
    database = await cliDatabase();
    temp = await tempDir('omnibase-acceptance-');
    await mkdir(file('config'));
    // Server and clients share the config dir: the server writes its local credential there, clients read it.
    serverEnv = { ...database.env, OMNIBASE_CONFIG_DIR: file('config') };
    server = startOmnibase(['serve', '--port', '0', ...(testEngine === 'postgres' ? ['--migrate'] : [])], serverEnv, 'dist');
    url = await server.listening;
    env = { OMNIBASE_URL: url, OMNIBASE_CONFIG_DIR: file('config'), OMNIBASE_CACHE_DIR: file('cache'), OMNIBASE_TOKEN: undefined };
    await writeFile(file('validator.yml'), stringify(VALIDATOR));
    const { uuid: _uuid, ...withoutUuid } = VALIDATOR;
    await writeFile(file('bad.yml'), stringify({ ...withoutUuid, name: 'bad' }));
  });

  afterAll(async () => {
    await server?.stop();
    await database?.dispose();
    await temp?.remove();
  });

  it('registry add validator.yml exits 0, prints registered: true, and the uuid is retrievable with registry get', async () => {
    const add = await omnibase(['registry', 'add', file('validator.yml')], env);
    expect(add.stderr).toBe('registered 1, unchanged 0, refused 0\n');
    expect(add.code).toBe(0);
    expect(add.stdout).toContain('registered: true\n');
    expect(add.stdout).toContain(`uuid: ${VALIDATOR.uuid}\n`);
    const get = await omnibase(['registry', 'get', VALIDATOR.uuid], env);
    expect(get.code).toBe(0);
    expect(get.stdout).toContain(`uuid          ${VALIDATOR.uuid}\n`);
    expect(get.stdout).toContain('name          yaml-lint\n');
  });

  it('registry add bad.yml (no uuid) exits 2 and stderr names MetadataValidationError', async () => {
    const add = await omnibase(['registry', 'add', file('bad.yml')], env);
    expect(add.code).toBe(ExitCode.InvalidInput);
    expect(add.stderr).toContain('MetadataValidationError');
    expect(add.stderr).toContain('/uuid  uuid is required');
    expect(add.stdout).toBe('');
  });

  it('registry ls --tag canary lists exactly the components tagged canary', async () => {
    const others = [
      { ...VALIDATOR, uuid: '6f1c2a9e-2222-4222-8333-444455556666', name: 'canary-tool', type: 'tool', tags: ['canary'] },
      { ...VALIDATOR, uuid: '6f1c2a9e-3333-4222-8333-444455556666', name: 'plain-tool', type: 'tool', tags: ['yaml'] },
    ];
    await Promise.all(others.map((document) => writeFile(file(`${document.name}.yml`), stringify(document))));
    expect((await omnibase(['registry', 'add', file('canary-tool.yml'), file('plain-tool.yml')], env)).code).toBe(0);
    const ls = await omnibase(['registry', 'ls', '--tag', 'canary', '--output', 'json'], env);
    expect(ls.code).toBe(0);
    const listed = JSON.parse(ls.stdout) as { totalCount: number; components: Array<{ name: string; tags: string[] }> };
    expect(listed.components.map((component) => component.name)).toEqual(['canary-tool', 'yaml-lint']);
    expect(listed.totalCount).toBe(2);
    const human = await omnibase(['registry', 'ls', '--tag', 'canary'], env);
    expect(human.stdout.split('\n').filter(Boolean).slice(1).map((line) => line.split(/\s+/)[0])).toEqual(['canary-tool', 'yaml-lint']);
  });

  it('registry add <dir> registers a directory tree in dependency order through registerMany, with a summary', async () => {
    const documents = {
      'catalog/tools/formatter.yml': { ...VALIDATOR, uuid: '6f1c2a9e-5555-4222-8333-000000000001', name: 'formatter', type: 'tool', tags: ['fmt'] },
      // It comes first by path and needs the formatter, which comes later: the registry takes them in dependency order.
      'catalog/checks/style.yaml': {
        ...VALIDATOR,
        uuid: '6f1c2a9e-5555-4222-8333-000000000002',
        name: 'style-check',
        tags: ['fmt'],
        dependencies: [{ name: 'formatter', version_spec: '^1' }],
      },
      'catalog/tests/suite.json': { ...VALIDATOR, uuid: '6f1c2a9e-5555-4222-8333-000000000003', name: 'suite', type: 'test', tags: ['fmt'] },
    };
    for (const [path, document] of Object.entries(documents)) {
      await mkdir(join(file(path), '..'), { recursive: true });
      await writeFile(file(path), path.endsWith('.json') ? JSON.stringify(document) : stringify(document));
    }
    await writeFile(file('catalog/README.md'), '# the catalog\n');
    const add = await omnibase(['registry', 'add', file('catalog'), '--output', 'json'], env);
    expect(add.stderr).toBe('registered 3, unchanged 0, refused 0\n');
    expect(add.code).toBe(0);
    expect(JSON.parse(add.stdout).map((result: { file: string }) => result.file)).toEqual([
      file('catalog/checks/style.yaml'),
      file('catalog/tests/suite.json'),
      file('catalog/tools/formatter.yml'),
    ]);
    const graph = await omnibase(['registry', 'graph', '6f1c2a9e-5555-4222-8333-000000000002'], env);
    expect(graph.stdout).toBe('style-check@1.4.2  6f1c2a9e-5555-4222-8333-000000000002\n└── formatter@1.4.2  ^1\n');
  });

  it('server stopped: get answers from the cache (exit 0, stale notice), add exits 3 leaving the cache as it was; after a restart, sync catches up', async () => {
    const port = new URL(url).port;
    expect((await omnibase(['registry', 'get', VALIDATOR.uuid], env)).code).toBe(0);
    expect(await server!.stop()).toBe(0);
    server = undefined;

    const stale = await omnibase(['registry', 'get', VALIDATOR.uuid], env);
    expect(stale.code).toBe(0);
    expect(stale.stdout).toContain('name          yaml-lint\n');
    expect(stale.stderr).toMatch(/^warning: the registry at http:\/\/127\.0\.0\.1:\d+\/graphql is unreachable \(connect ECONNREFUSED [^)]+\); answering from the cache, stored (just now|\d+ seconds? ago) \(/);

    // Every file of the cache (entries and counters), byte for byte.
    const snapshot = async () => {
      const entries = (await readdir(file('cache'), { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile());
      const paths = entries.map((entry) => join(entry.parentPath, entry.name)).sort();
      return Promise.all(paths.map(async (path) => [path, await readFile(path)] as const));
    };
    const before = await snapshot();
    expect(before.length).toBeGreaterThan(0);
    const late = { ...VALIDATOR, uuid: '6f1c2a9e-4444-4222-8333-444455556666', name: 'late', tags: ['canary'] };
    await writeFile(file('late.yml'), stringify(late));
    const add = await omnibase(['registry', 'add', file('late.yml')], env);
    expect(add.code).toBe(ExitCode.Unreachable);
    expect(add.stderr).toContain('is unreachable (connect ECONNREFUSED');
    expect(add.stderr).toContain('the write was never sent, so nothing changed');
    expect(await snapshot()).toEqual(before);

    server = startOmnibase(['serve', '--port', port], serverEnv, 'dist');
    expect(await server.listening).toBe(env.OMNIBASE_URL);
    const other = { ...env, OMNIBASE_CACHE_DIR: file('other-cache') };
    expect((await omnibase(['registry', 'add', file('late.yml')], other)).code).toBe(0);
    await writeFile(file('deprecate.yml'), 'lifecycle: deprecated\n');
    const update = await omnibase(['registry', 'update', VALIDATOR.uuid, '--patch', file('deprecate.yml')], other);
    expect(update.stdout).toContain('revision: 2\n');

    const sync = await omnibase(['registry', 'sync'], env);
    expect(sync.code).toBe(0);
    expect(sync.stdout).toMatch(/^synced \d+ changes/);
    const offline = await omnibase(['registry', 'get', VALIDATOR.uuid, '--offline', '--output', 'json'], env);
    expect(JSON.parse(offline.stdout)).toMatchObject({ lifecycle: 'DEPRECATED', revision: 2 });
    const lateOffline = await omnibase(['registry', 'get', 'late', '--offline', '--output', 'json'], env);
    expect(JSON.parse(lateOffline.stdout)).toMatchObject({ uuid: late.uuid });
  });
});
