import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RegistryDiffCommand, unifiedView } from '../../cli/commands/registry/diff.js';
import { changedPaths } from '../../cli/commands/registry/history.js';
import { ExitCode } from '../../cli/exit-codes.js';
import { runCli } from '../../cli/run.js';
import { captureContext, cli } from './helpers.js';
import { component, startCliRegistry, type CliRegistry } from './fixtures/registry.js';

// registry history, registry diff, and --as-of on get and graph.

const LIB = '6f1c2a9e-aaaa-4222-8333-444455556666';
const LIB_2 = '6f1c2a9e-aaaa-4222-8333-444455556667';
const APP = '6f1c2a9e-bbbb-4222-8333-444455556666';
const GHOST = '6f1c2a9e-cccc-4222-8333-444455556666';

let registry: CliRegistry;
let registeredAt: string;

async function patch(uuid: string, yaml: string): Promise<void> {
  const file = await registry.file(`patch-${Math.random()}.yml`, yaml);
  const result = await cli('registry', 'update', uuid, '--patch', file);
  expect(result.code).toBe(ExitCode.Ok);
}

beforeAll(async () => {
  registry = await startCliRegistry();
  const files = await Promise.all([
    registry.file('lib.yml', component({ uuid: LIB, name: 'lib', version: '1.0.0', lifecycle: 'active', tags: ['a'] })),
    registry.file('app.yml', component({ uuid: APP, name: 'app', version: '1.0.0', dependencies: [{ name: 'lib', version_spec: '^1' }] })),
  ]);
  expect((await cli('registry', 'add', ...files)).code).toBe(ExitCode.Ok);
  const [row] = await registry.database.db.query<{ at: Date }>('SELECT max(at) AS at FROM component_revisions');
  registeredAt = row!.at.toISOString();
  await sleep(3);
  await patch(LIB, 'description: first words\ntags: [a, b]\n');
  await patch(LIB, 'owner: platform-team\nannotations: { ticket: 42 }\n');
  expect((await cli('registry', 'add', await registry.file('lib2.yml', component({ uuid: LIB_2, name: 'lib', version: '1.1.0' })))).code).toBe(ExitCode.Ok);
});
afterAll(() => registry?.close());
beforeEach(async () => {
  await registry.freshCache();
});

describe('omnibase registry history', () => {
  it('tables the revisions newest first with the paths each changed', async () => {
    const result = await cli('registry', 'history', LIB);
    expect(result.code).toBe(ExitCode.Ok);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^REVISION\s+TIME\s+ACTOR\s+CHANGED$/);
    expect(lines.slice(1).map((line) => line.split(/\s{2,}/)[0])).toEqual(['3', '2', '1']);
    expect(lines[1]).toContain('/annotations');
    expect(lines[1]).toContain('/owner');
    expect(lines[2]).toMatch(/\/tags\/1, \/description$/);
    expect(lines[3]).toMatch(/\(registered\)$/);
    expect(lines[1]).toMatch(/cli-tests/);
  });

  it('pages with --limit and --before, and gives the diffs as JSON', async () => {
    const result = await cli('registry', 'history', LIB, '--before', '3', '--limit', '1', '--output', 'json');
    expect(result.code).toBe(ExitCode.Ok);
    const parsed = JSON.parse(result.stdout);
    expect(parsed).toMatchObject({ uuid: LIB, name: 'lib', revision: 3 });
    expect(parsed.history).toEqual([
      {
        revision: 2,
        at: expect.any(String),
        actor: expect.stringContaining('cli-tests'),
        diff: [
          { op: 'add', path: '/tags/1', value: 'b' },
          { op: 'add', path: '/description', value: 'first words' },
        ],
      },
    ]);
  });

  it('exits 4 for a uuid nobody registered and 2 for one that is not a uuid', async () => {
    expect(await cli('registry', 'history', GHOST)).toMatchObject({ code: ExitCode.NotFound, stderr: expect.stringContaining(`no component has uuid ${GHOST}`) });
    expect(await cli('registry', 'history', 'nope')).toMatchObject({ code: ExitCode.InvalidInput, stderr: expect.stringContaining('"nope" is not a uuid') });
  });

  it('counts paths past the fourth', () => {
    expect(changedPaths([{ op: 'add', path: '/a' }, { op: 'remove', path: '/a' }, { op: 'add', path: '/b' }])).toEqual(['/a', '/b']);
    expect(changedPaths('not a patch')).toEqual([]);
  });
});

describe('omnibase registry diff', () => {
  it('shows the latest change as a unified diff of the documents', async () => {
    const result = await cli('registry', 'diff', LIB);
    expect(result.code).toBe(ExitCode.Ok);
    expect(result.stdout).toContain('--- revision 2\n+++ revision 3\n');
    expect(result.stdout).toContain('+owner: platform-team\n');
    expect(result.stdout).toContain('+annotations:\n+  ticket: 42\n');
    expect(result.stdout).not.toContain('\u001b[');
  });

  it('gives the RFC 6902 patch between any two revisions for --output json', async () => {
    const result = await cli('registry', 'diff', LIB, '--from', '1', '--to', '3', '--output', 'json');
    expect(result.code).toBe(ExitCode.Ok);
    expect(JSON.parse(result.stdout)).toEqual([
      { op: 'add', path: '/tags/1', value: 'b' },
      { op: 'add', path: '/owner', value: 'platform-team' },
      { op: 'add', path: '/annotations', value: { ticket: 42 } },
      { op: 'add', path: '/description', value: 'first words' },
    ]);
  });

  it('says when two revisions are the same', async () => {
    expect(await cli('registry', 'diff', LIB, '--from', '2', '--to', '2')).toEqual({ code: ExitCode.Ok, stdout: 'no change between revision 2 and revision 2\n', stderr: '' });
  });

  it('colours the view on a terminal', async () => {
    const captured = captureContext();
    const context = { ...captured.context, colorDepth: 8 };
    expect(await runCli(['registry', 'diff', LIB, '--from', '1'], context)).toBe(ExitCode.Ok);
    expect(captured.stdout()).toContain('\u001b[32m+');
    expect(captured.stdout()).toContain('\u001b[36m@@');
  });

  it('exits 4 naming a revision the component does not have', async () => {
    const result = await cli('registry', 'diff', LIB, '--from', '1', '--to', '9');
    expect(result.code).toBe(ExitCode.NotFound);
    expect(result.stderr).toContain(`component ${LIB} has no revision 9: its revisions are 1 to 3`);
    expect((await cli('registry', 'diff', GHOST)).code).toBe(ExitCode.NotFound);
    expect((await cli('registry', 'diff', LIB, '--from', '0')).code).toBe(ExitCode.InvalidInput);
  });

  it('renders removals and additions as a unified view', async () => {
    const view = await unifiedView({ revision: 1, metadata: { a: 1, b: 2 } }, { revision: 2, metadata: { a: 1, c: 3 } }, false);
    expect(view).toBe('--- revision 1\n+++ revision 2\n@@ -1,2 +1,2 @@\n a: 1\n-b: 2\n+c: 3\n');
    expect(RegistryDiffCommand.paths).toEqual([['registry', 'diff']]);
  });
});

describe('--as-of on registry get and registry graph', () => {
  it('gets the component as it stood then', async () => {
    const result = await cli('registry', 'get', LIB, '--as-of', registeredAt, '--output', 'json');
    expect(result.code).toBe(ExitCode.Ok);
    expect(JSON.parse(result.stdout)).toMatchObject({ uuid: LIB, revision: 1, description: null, tags: ['a'] });
    const now = JSON.parse((await cli('registry', 'get', LIB, '--output', 'json')).stdout);
    expect(now).toMatchObject({ revision: 3, description: 'first words', tags: ['a', 'b'] });
  });

  it('chooses by range among the versions of then', async () => {
    const then = await cli('registry', 'get', 'lib@^1', '--as-of', registeredAt, '--output', 'json');
    expect(JSON.parse(then.stdout)).toMatchObject({ version: '1.0.0' });
    expect(JSON.parse((await cli('registry', 'get', 'lib@^1', '--output', 'json')).stdout)).toMatchObject({ version: '1.1.0' });
  });

  it('walks the graph of then', async () => {
    const then = await cli('registry', 'graph', APP, '--as-of', registeredAt, '--output', 'json');
    expect(then.code).toBe(ExitCode.Ok);
    expect(JSON.parse(then.stdout).nodes.map((node: any) => `${node.component.name}@${node.component.version}`)).toEqual(['app@1.0.0', 'lib@1.0.0']);
    const now = await cli('registry', 'graph', APP, '--output', 'json');
    expect(JSON.parse(now.stdout).nodes.map((node: any) => `${node.component.name}@${node.component.version}`)).toEqual(['app@1.0.0', 'lib@1.1.0']);
  });

  it('exits 4 when nothing existed then', async () => {
    const before = '2020-01-01';
    const get = await cli('registry', 'get', LIB, '--as-of', before);
    expect(get).toMatchObject({ code: ExitCode.NotFound, stderr: expect.stringContaining(`no component had uuid ${LIB} at 2020-01-01T00:00:00.000Z`) });
    const byName = await cli('registry', 'get', 'lib', '--as-of', before);
    expect(byName).toMatchObject({ code: ExitCode.NotFound, stderr: expect.stringContaining('no version of lib satisfied "*" at 2020-01-01T00:00:00.000Z') });
    const graph = await cli('registry', 'graph', APP, '--as-of', before);
    expect(graph).toMatchObject({ code: ExitCode.NotFound, stderr: expect.stringContaining(`no component had uuid ${APP} at 2020-01-01T00:00:00.000Z`) });
  });

  it.each([
    [['registry', 'get', LIB, '--as-of', 'yesterday'], '--as-of must be an ISO 8601 time'],
    [['registry', 'get', LIB, '--as-of', '2026-13-45'], '--as-of must be an ISO 8601 time'],
    [['registry', 'graph', APP, '--as-of', '2026-11-30T09:00:00Z', '--offline'], 'cannot be used with --offline'],
  ])('refuses %j as a usage error', async (argv, message) => {
    const result = await cli(...argv);
    expect(result.code).toBe(ExitCode.InvalidInput);
    expect(result.stderr).toContain(message);
  });

  it('never stores a past answer in the cache', async () => {
    await cli('registry', 'get', LIB, '--as-of', registeredAt);
    const offline = await cli('registry', 'get', LIB, '--offline');
    expect(offline.code).not.toBe(ExitCode.Ok);
  });
});

