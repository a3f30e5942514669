import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../cli/exit-codes.js';
import { cli } from './helpers.js';
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
