import { createServer, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CHUNK_DOCUMENTS } from '../../cli/commands/registry/add.js';
import { ExitCode } from '../../cli/exit-codes.js';
import { runCli } from '../../cli/run.js';
import { captureContext, cli } from './helpers.js';
import { component, startCliRegistry, type CliRegistry } from './fixtures/registry.js';
import { readGraphSvg } from './svg.js';

const uuid = (group: number, index: number) => `6f1c2a9e-${String(group).padStart(4, '0')}-4222-8333-${String(index).padStart(12, '0')}`;

// yaml-parser 2.1.2 and 2.1.3; yaml-lint takes any 2.1, strict-lint exactly 2.1.3; ci-suite needs both lints.
const PARSER_212 = uuid(1, 1);
const PARSER_213 = uuid(1, 2);
const LINT = uuid(1, 3);
const STRICT = uuid(1, 4);
const SUITE = uuid(1, 5);

let registry: CliRegistry;

beforeAll(async () => {
  registry = await startCliRegistry();
  const files = await Promise.all(
    [
      component({ uuid: PARSER_212, name: 'yaml-parser', version: '2.1.2', type: 'tool' }),
      component({ uuid: PARSER_213, name: 'yaml-parser', version: '2.1.3', type: 'tool' }),
      component({ uuid: LINT, name: 'yaml-lint', version: '1.4.2', dependencies: [{ name: 'yaml-parser', version_spec: '^2.1.0' }] }),
      component({ uuid: STRICT, name: 'strict-lint', version: '1.0.0', dependencies: [{ name: 'yaml-parser', version_spec: '2.1.3' }] }),
      component({
        uuid: SUITE,
        name: 'ci-suite',
        version: '5.0.0',
        type: 'test',
        dependencies: [{ name: 'yaml-lint', version_spec: '^1' }, { uuid: STRICT }, { name: 'not-there', version_spec: '^1' }],
      }),
    ].map((document, index) => registry.file(`base-${index}.yml`, document)),
  );
  const added = await cli('registry', 'add', ...files);
  expect(added.stderr).toBe('registered 5, unchanged 0, refused 0\n');
});

afterAll(async () => {
  await registry?.close();
});

beforeEach(async () => {
  await registry.freshCache();
});

describe('omnibase registry graph --format svg', () => {
  it('draws the graph as well-formed SVG with every component and range, with no Graphviz installed', async () => {
    const result = await cli('registry', 'graph', SUITE, '--format', 'svg');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(ExitCode.Ok);
    expect(result.stdout).toMatch(/^<\?xml /);
    const drawn = readGraphSvg(result.stdout);
    expect(new Map([...drawn.nodes].map(([id, node]) => [id, node.texts.join(' ')]))).toEqual(
      new Map([
        [SUITE, 'ci-suite@5.0.0'],
        [LINT, 'yaml-lint@1.4.2'],
        [STRICT, 'strict-lint@1.0.0'],
        [PARSER_213, 'yaml-parser@2.1.3'],
        ['unresolved-0', 'not-there ^1 (unresolved)'],
      ]),
    );
    expect(drawn.edges.get(`${SUITE}->${LINT}`)!.texts).toEqual(['^1']);
    expect(drawn.edges.get(`${SUITE}->${STRICT}`)!.texts).toEqual([]);
    expect(drawn.edges.get(`${LINT}->${PARSER_213}`)!.texts).toEqual(['^2.1.0']);
    expect(drawn.edges.get(`${STRICT}->${PARSER_213}`)!.texts).toEqual(['2.1.3']);
    expect(drawn.nodes.get(SUITE)!.stroke).toBe('black');
  });

  it('draws what the cache holds when offline, and what needs a component with --direction dependents', async () => {
    expect((await cli('registry', 'graph', PARSER_213, '--direction', 'dependents')).code).toBe(ExitCode.Ok);
    const offline = await cli('registry', 'graph', PARSER_213, '--direction', 'dependents', '--format', 'svg', '--offline');
    expect(offline.code).toBe(ExitCode.Ok);
    expect([...readGraphSvg(offline.stdout).nodes.keys()].sort()).toEqual([PARSER_213, LINT, STRICT, SUITE].sort());
  });

  it('refuses a format it does not know, naming the ones it does', async () => {
    const result = await cli('registry', 'graph', SUITE, '--format', 'png');
    expect(result.code).toBe(ExitCode.InvalidInput);
    expect(result.stderr).toContain('svg');
  });
});

/** The registry's own answer for a component, with nothing from the cache. */
async function stored(id: string): Promise<{ lifecycle: string; revision: number }> {
  const result = await cli('registry', 'get', id, '--output', 'json');
  expect(result.code).toBe(ExitCode.Ok);
  return JSON.parse(result.stdout);
}

const RETIRE_213 = [
  'impact: 1 moved, 0 resolved, 1 stranded',
  'KIND      DEPENDENT          RANGE   BEFORE → AFTER',
  'stranded  strict-lint@1.0.0  2.1.3   yaml-parser@2.1.3 → unresolved',
  'moved     yaml-lint@1.4.2    ^2.1.0  yaml-parser@2.1.3 → yaml-parser@2.1.2',
  '',
].join('\n');

describe('omnibase registry update --dry-run', () => {
  it('shows what retiring a version would move and strand, writes nothing, and exits 6 as the update would be refused', async () => {
    const patch = await registry.file('retire.yml', { lifecycle: 'retired' });
    const result = await cli('registry', 'update', PARSER_213, '--patch', patch, '--dry-run');
    expect(result.stdout).toBe(
      `dry run: nothing was written\nchanged: true\nuuid: ${PARSER_213}\nname: yaml-parser\nversion: 2.1.3\nrevision: 2\n\n${RETIRE_213}`,
    );
    expect(result.stderr).toBe(
      'error: this change would leave 1 dependent that is not retired with a dependency nothing satisfies (strict-lint@1.0.0); ' +
        `its uuid: ${STRICT}. --dry-run shows what the write would move and strand; --force makes it anyway\n`,
    );
    expect(result.code).toBe(ExitCode.Conflict);
    expect(await stored(PARSER_213)).toMatchObject({ lifecycle: 'EXPERIMENTAL', revision: 1 });
  });

  it('with --force exits 0, and as JSON answers with the payload: dryRun, the impact and its edges', async () => {
    const patch = await registry.file('retire.yml', { lifecycle: 'retired' });
    const forced = await cli('registry', 'update', PARSER_213, '--patch', patch, '--dry-run', '--force');
    expect(forced).toMatchObject({ code: ExitCode.Ok, stderr: '' });
    expect(forced.stdout.endsWith(`\n\n${RETIRE_213}`)).toBe(true);

    const json = await cli('registry', 'update', PARSER_213, '--patch', patch, '--dry-run', '--force', '--output', 'json');
    expect(json.code).toBe(ExitCode.Ok);
    const answer = JSON.parse(json.stdout);
    expect(answer).toMatchObject({ changed: true, dryRun: true, revision: 2, component: { uuid: PARSER_213, lifecycle: 'RETIRED' } });
    expect(answer.impact).toMatchObject({ moved: 1, resolved: 0, stranded: 1, edges: { totalCount: 2, pageInfo: { hasNextPage: false } } });
    expect(answer.impact.edges.edges.map(({ node }: { node: { kind: string; dependent: { uuid: string } } }) => [node.kind, node.dependent.uuid])).toEqual(
      expect.arrayContaining([
        ['MOVED', LINT],
        ['STRANDED', STRICT],
      ]),
    );
    // Nothing went to the cache either: it describes a state the registry is not in.
    expect((await cli('registry', 'get', PARSER_213, '--offline')).code).toBe(ExitCode.Unreachable);
    expect(await stored(PARSER_213)).toMatchObject({ lifecycle: 'EXPERIMENTAL', revision: 1 });
  });

  it('shows no impact for a change no resolution depends on, and a refused patch exits as the update would', async () => {
    const patch = await registry.file('describe.yml', { description: 'Parses YAML' });
    const result = await cli('registry', 'update', LINT, '--patch', patch, '--dry-run');
    expect(result).toMatchObject({ code: ExitCode.Ok, stderr: '' });
    expect(result.stdout.endsWith("\nimpact: 0 moved, 0 resolved, 0 stranded\nno dependent's resolution changes\n")).toBe(true);
    const immutable = await registry.file('rename.yml', { name: 'other' });
    expect((await cli('registry', 'update', LINT, '--patch', immutable, '--dry-run')).code).toBe(ExitCode.InvalidInput);
    const stale = await cli('registry', 'update', LINT, '--patch', patch, '--dry-run', '--expected-revision', '7');
    expect(stale.code).toBe(ExitCode.Conflict);
    expect(await stored(LINT)).toMatchObject({ revision: 1 });
  });
});

describe('omnibase registry update refused for stranding dependents', () => {
  it('exits 6 naming the dependents and --force; with --force it is made and shows what it stranded', async () => {
    const [base, pinned] = [uuid(2, 1), uuid(2, 2)];
    const files = await Promise.all([
      registry.file('force-base.yml', component({ uuid: base, name: 'force-base', version: '1.0.0', type: 'tool' })),
      registry.file('force-pinned.yml', component({ uuid: pinned, name: 'force-pinned', version: '1.0.0', dependencies: [{ name: 'force-base', version_spec: '~1.0.0' }] })),
    ]);
    expect((await cli('registry', 'add', ...files)).code).toBe(ExitCode.Ok);
    const patch = await registry.file('retire.yml', { lifecycle: 'retired' });

    const refused = await cli('registry', 'update', base, '--patch', patch);
    expect(refused).toEqual({
      code: ExitCode.Conflict,
      stdout: '',
      stderr:
        'error: this change would leave 1 dependent that is not retired with a dependency nothing satisfies (force-pinned@1.0.0); ' +
        `its uuid: ${pinned}. --dry-run shows what the write would move and strand; --force makes it anyway\n`,
    });
    expect(await stored(base)).toMatchObject({ lifecycle: 'EXPERIMENTAL', revision: 1 });

    const forced = await cli('registry', 'update', base, '--patch', patch, '--force');
    expect(forced.stderr).toBe('');
    expect(forced.code).toBe(ExitCode.Ok);
    expect(forced.stdout).toBe(
      `changed: true\nuuid: ${base}\nname: force-base\nversion: 1.0.0\nrevision: 2\n\n` +
        'impact: 0 moved, 0 resolved, 1 stranded\n' +
        'KIND      DEPENDENT           RANGE   BEFORE → AFTER\n' +
        'stranded  force-pinned@1.0.0  ~1.0.0  force-base@1.0.0 → unresolved\n',
    );
    expect(await stored(base)).toMatchObject({ lifecycle: 'RETIRED', revision: 2 });
    // The write went through the cache as every write does.
    expect(parse((await cli('registry', 'get', base, '--offline', '--output', 'yaml')).stdout)).toMatchObject({ lifecycle: 'RETIRED', revision: 2 });
  });
});

describe('omnibase registry impact', () => {
  it('lists what an update would change, exits 0, and notes on stderr that the update itself would be refused', async () => {
    const stdin = new PassThrough();
    stdin.end('lifecycle: retired\n');
    const captured = captureContext();
    const code = await runCli(['registry', 'impact', PARSER_213, '--patch', '-'], { ...captured.context, stdin });
    expect(captured.stdout()).toBe(
      `updating yaml-parser@2.1.3 ${PARSER_213}, nothing written\n` +
        RETIRE_213.replace('1 stranded\n', '1 stranded; 3 affected (the dependents whose resolution changes and what depends on them)\n'),
    );
    expect(captured.stderr()).toMatch(/^note: `omnibase registry update` would refuse this update: this change would leave 1 dependent .*strict-lint@1\.0\.0/);
    expect(code).toBe(ExitCode.Ok);
    expect(await stored(PARSER_213)).toMatchObject({ lifecycle: 'EXPERIMENTAL', revision: 1 });
  });

  it('draws the affected subgraph as SVG: the moved and the stranded edge marked, the dependents of dependents, a legend', async () => {
    const patch = await registry.file('retire.yml', { lifecycle: 'retired' });
    const result = await cli('registry', 'impact', PARSER_213, '--patch', patch, '--format', 'svg');
    expect(result.code).toBe(ExitCode.Ok);
    const drawn = readGraphSvg(result.stdout);
    expect(new Map([...drawn.nodes].map(([id, node]) => [id, node.texts.join(' ')]))).toEqual(
      new Map([
        [PARSER_213, 'yaml-parser@2.1.3'],
        [STRICT, 'strict-lint@1.0.0'],
        [LINT, 'yaml-lint@1.4.2'],
        [PARSER_212, 'yaml-parser@2.1.2'],
        [SUITE, 'ci-suite@5.0.0'],
      ]),
    );
    expect(drawn.edges.get(`${STRICT}->${PARSER_213}`)).toMatchObject({ texts: ['2.1.3 (stranded)'], stroke: '#cb181d', dashed: true });
    expect(drawn.edges.get(`${LINT}->${PARSER_213}`)).toMatchObject({ texts: ['^2.1.0 (before)'], dashed: true });
    expect(drawn.edges.get(`${LINT}->${PARSER_212}`)).toMatchObject({ texts: ['^2.1.0'], stroke: '#2171b5', dashed: false });
    expect(drawn.edges.get(`${SUITE}->${LINT}`)).toMatchObject({ texts: ['^1'] });
    expect(drawn.edges.has(`${SUITE}->${STRICT}`)).toBe(true);
    expect(drawn.nodes.get(SUITE)).toMatchObject({ dashed: true });
    expect(result.stdout).toContain('stranded: nothing satisfies it');

    // --depth 1 keeps the dependents whose declarations change, not what depends on them.
    const shallow = await cli('registry', 'impact', PARSER_213, '--patch', patch, '--format', 'svg', '--depth', '1');
    expect(readGraphSvg(shallow.stdout).nodes.has(SUITE)).toBe(false);
  });

  it('answers as data with --output, and refuses what it cannot do before sending anything', async () => {
    const patch = await registry.file('retire.yml', { lifecycle: 'retired' });
    const json = await cli('registry', 'impact', PARSER_213, '--patch', patch, '--output', 'json', '--limit', '1');
    expect(json.code).toBe(ExitCode.Ok);
    const answer = JSON.parse(json.stdout);
    expect(answer).toMatchObject({ dryRun: true, changed: true, impact: { moved: 1, stranded: 1, edges: { totalCount: 2, pageInfo: { hasNextPage: true } } } });
    expect(answer.impact.edges.edges).toHaveLength(1);
    expect(answer.impact.affected).toMatchObject({ totalCount: 3, pageInfo: { hasNextPage: true } });

    const both = await cli('registry', 'impact', PARSER_213, '--patch', patch, '--output', 'json', '--format', 'svg');
    expect(both).toEqual({ code: ExitCode.InvalidInput, stdout: '', stderr: 'error: --output json and --format svg exclude each other; choose one\n' });
    expect((await cli('registry', 'impact', 'yaml-parser', '--patch', patch)).code).toBe(ExitCode.InvalidInput);
    expect((await cli('registry', 'impact', PARSER_213, '--patch', patch, '--limit', '1001')).code).toBe(ExitCode.InvalidInput);
    expect((await cli('registry', 'impact', uuid(9, 9), '--patch', patch)).code).toBe(ExitCode.NotFound);
    expect((await cli('registry', 'impact', PARSER_213, '--patch', `${registry.dir}/none.yml`)).stderr).toMatch(/^error: cannot read the patch from /);

    const same = await cli('registry', 'impact', PARSER_213, '--patch', await registry.file('same.yml', { lifecycle: 'experimental' }));
    expect(same).toEqual({
      code: ExitCode.Ok,
      stdout: `updating yaml-parser@2.1.3 ${PARSER_213} (the patch changes nothing in it), nothing written\nimpact: 0 moved, 0 resolved, 0 stranded; 0 affected (the dependents whose resolution changes and what depends on them)\nno dependent's resolution changes\n`,
      stderr: '',
    });
  });
});

describe('--help', () => {
  it('lists registry impact and explains the dry runs, --force and the drawing', async () => {
    expect((await cli('--help')).stdout).toContain('omnibase registry impact');
    const impact = await cli('registry', 'impact', '--help');
    expect(impact.code).toBe(ExitCode.Ok);
    expect(impact.stdout).toContain('--format svg > impact.svg');
    for (const command of ['update', 'add']) {
      const help = (await cli('registry', command, '--help')).stdout;
      expect(help).toContain('--dry-run');
      expect(help).toContain('--force');
    }
    expect((await cli('registry', 'graph', '--help')).stdout).toContain('--format svg > graph.svg');
  });
});

describe('omnibase registry add --dry-run', () => {
  it('shows what the new versions would move and resolve, and registers nothing', async () => {
    const files = await Promise.all([
      registry.file('parser-220.yml', component({ uuid: uuid(3, 1), name: 'yaml-parser', version: '2.2.0', type: 'tool' })),
      registry.file('not-there.yml', component({ uuid: uuid(3, 2), name: 'not-there', version: '1.0.0' })),
    ]);
    const result = await cli('registry', 'add', ...files, '--dry-run');
    expect(result.stderr).toBe('dry run, nothing written: would register 2, unchanged 0, refused 0\n');
    expect(result.code).toBe(ExitCode.Ok);
    expect(result.stdout.split('\n\n').slice(-1)[0]).toBe(
      [
        'impact: 1 moved, 1 resolved, 0 stranded',
        'KIND      DEPENDENT        RANGE   BEFORE → AFTER',
        'moved     yaml-lint@1.4.2  ^2.1.0  yaml-parser@2.1.3 → yaml-parser@2.2.0',
        'resolved  ci-suite@5.0.0   ^1      unresolved → not-there@1.0.0',
        '',
      ].join('\n'),
    );
    expect(result.stdout).toContain(`file: ${files[0]}\nregistered: true\nuuid: ${uuid(3, 1)}\n`);
    expect((await cli('registry', 'get', uuid(3, 1))).code).toBe(ExitCode.NotFound);
    expect((await cli('registry', 'get', uuid(3, 2), '--offline')).code).toBe(ExitCode.Unreachable);

    const json = await cli('registry', 'add', ...files, '--dry-run', '--output', 'json');
    expect(JSON.parse(json.stdout)).toMatchObject({
      dryRun: true,
      chunks: 1,
      results: [{ file: files[0], registered: true, uuid: uuid(3, 1) }, { file: files[1], registered: true, uuid: uuid(3, 2) }],
      impact: { moved: 1, resolved: 1, stranded: 0, edges: { totalCount: 2 } },
    });
    // --force is passed on; registering a version never strands anything, so it registers as usual.
    const forced = await cli('registry', 'add', files[1]!, '--force');
    expect(forced).toMatchObject({ code: ExitCode.Ok, stderr: 'registered 1, unchanged 0, refused 0\n' });
  });

  it('checks every chunk, past a refused one, and says what chunks checked apart cannot see', async () => {
    // Five documents of 240 kB make two chunks: four fill the first chunk's bytes.
    const big = (index: number) =>
      component({ uuid: uuid(4, index), name: `big-${index}`, version: '1.0.0', annotations: { padding: 'x'.repeat(240_000) } });
    const files = await Promise.all([1, 2, 3, 4, 5].map((index) => registry.file(`big-${index}.yml`, big(index))));
    // The first chunk holds a different document under an existing uuid: refused, and the second still checked.
    const conflicting = await registry.file('big-1.yml', { ...big(1), uuid: PARSER_212 });
    const result = await cli('registry', 'add', conflicting, ...files.slice(1), '--dry-run', '--output', 'json');
    const lines = result.stderr.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^error: ${conflicting}: .*${PARSER_212}`));
    expect(lines[1]).toBe(
      `note: checked in 2 chunks of up to ${CHUNK_DOCUMENTS} documents, each against the registry as it stands: a chunk's check does not ` +
        "see the chunks before it, so a conflict between two chunks, and what a later chunk's versions change for an earlier chunk's " +
        'dependents, show only when they are registered',
    );
    expect(lines.slice(2)).toEqual(['dry run, nothing written: would register 1, unchanged 0, refused 1, not checked 3 (in a refused chunk)', '']);
    expect(result.code).toBe(ExitCode.Conflict);
    expect(JSON.parse(result.stdout)).toMatchObject({ dryRun: true, chunks: 2, results: [{ uuid: uuid(4, 5), registered: true }] });
  });
});

describe('a dry run whose answer is lost', () => {
  it('is an unreachable registry (exit 3), never a write of unknown outcome: a dry run changes nothing', async () => {
    // Takes each request, then cuts the connection: a real write sent so would exit 7.
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('data', () => socket.destroy());
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/graphql`;
    try {
      const patch = await registry.file('retire.yml', { lifecycle: 'retired' });
      const file = await registry.file('lost.yml', component({ uuid: uuid(5, 1), name: 'lost', version: '1.0.0' }));
      const written = await cli('registry', 'update', PARSER_213, '--patch', patch, '--url', url);
      expect(written.code).toBe(ExitCode.OutcomeUnknown);
      for (const argv of [
        ['registry', 'update', PARSER_213, '--patch', patch, '--dry-run'],
        ['registry', 'impact', PARSER_213, '--patch', patch],
        ['registry', 'add', file, '--dry-run'],
      ]) {
        const result = await cli(...argv, '--url', url);
        expect(result.code, argv.join(' ')).toBe(ExitCode.Unreachable);
        expect(result.stderr).toContain(`the registry at ${url} is unreachable`);
        expect(result.stderr).not.toContain('may or may not');
      }
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
