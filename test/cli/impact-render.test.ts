import { describe, expect, it } from 'vitest';
import { RegistryResponseError } from '../../cli/client/errors.js';
import { renderDot, type Graph } from '../../cli/client/graph-render.js';
import {
  combineImpacts,
  FULL_EFFORT_EDGES,
  renderImpactDot,
  renderImpactTable,
  type ImpactEdgeView,
  type ImpactView,
} from '../../cli/client/impact-render.js';
import { renderSvg } from '../../cli/client/svg.js';
import { readGraphSvg } from './svg.js';

const version = (uuid: string, name: string, semver: string) => ({ uuid, name, version: semver });
const parser213 = version('p213', 'yaml-parser', '2.1.3');
const parser212 = version('p212', 'yaml-parser', '2.1.2');
const parser300 = version('p300', 'yaml-parser', '3.0.0');
const lint = version('lint', 'yaml-lint', '1.4.2');
const strict = version('strict', 'strict-lint', '1.0.0');
const fresh = version('fresh', 'new-thing', '0.1.0');
const suite = version('suite', 'ci-suite', '5.0.0');
const gate = version('gate', 'release-gate', '1.0.0');

const page = <T>(nodes: T[], totalCount = nodes.length) => ({
  totalCount,
  pageInfo: { hasNextPage: nodes.length < totalCount },
  edges: nodes.map((node) => ({ node })),
});

const moved: ImpactEdgeView = { kind: 'MOVED', versionSpec: '^2.1.0', dependent: lint, before: parser213, after: parser212 };
const stranded: ImpactEdgeView = { kind: 'STRANDED', versionSpec: '2.1.3', dependent: strict, before: parser213, after: null };
const resolved: ImpactEdgeView = { kind: 'RESOLVED', versionSpec: '', dependent: fresh, before: null, after: parser300 };

// Retiring yaml-parser 2.1.3: yaml-lint moves to 2.1.2, strict-lint pinned to 2.1.3 is stranded; new-thing's `*`
// resolves for the first time; ci-suite and release-gate depend on the moved and the stranded one.
const impact: ImpactView = {
  moved: 1,
  resolved: 1,
  stranded: 1,
  edges: page([resolved, moved, stranded]),
  affected: page([
    { ...lint, dependencies: [{ versionSpec: '^2.1.0', resolved: { uuid: 'p213' } }] },
    { ...strict, dependencies: [{ versionSpec: '2.1.3', resolved: { uuid: 'p213' } }] },
    { ...suite, dependencies: [{ versionSpec: '^1', resolved: { uuid: 'lint' } }, { versionSpec: '^1', resolved: { uuid: 'strict' } }, { versionSpec: '^4', resolved: null }] },
    { ...gate, dependencies: [{ versionSpec: null, resolved: { uuid: 'suite' } }, { versionSpec: '^1', resolved: { uuid: 'elsewhere' } }] },
  ]),
};

describe('the impact table', () => {
  it('lists each changed resolution as dependent, range, before → after: stranded first, then moved, then resolved', () => {
    expect(renderImpactTable(impact)).toBe(
      [
        'impact: 1 moved, 1 resolved, 1 stranded; 4 affected (the dependents whose resolution changes and what depends on them)',
        'KIND      DEPENDENT          RANGE   BEFORE → AFTER',
        'stranded  strict-lint@1.0.0  2.1.3   yaml-parser@2.1.3 → unresolved',
        'moved     yaml-lint@1.4.2    ^2.1.0  yaml-parser@2.1.3 → yaml-parser@2.1.2',
        'resolved  new-thing@0.1.0    *       unresolved → yaml-parser@3.0.0',
        '',
      ].join('\n'),
    );
  });

  it('says when nothing moves, and when the registry sent only the first page of the changes', () => {
    const none: ImpactView = { moved: 0, resolved: 0, stranded: 0, edges: page([]) };
    expect(renderImpactTable(none)).toBe("impact: 0 moved, 0 resolved, 0 stranded\nno dependent's resolution changes\n");
    const long: ImpactView = { moved: 250, resolved: 0, stranded: 0, edges: page([moved, moved], 250) };
    expect(renderImpactTable(long).split('\n').slice(-2)).toEqual(['(the first 2 of 250 changed resolutions)', '']);
  });

  it('adds up the impacts of several chunks: counts, totals, and every edge each one sent', () => {
    const first: ImpactView = { moved: 1, resolved: 0, stranded: 0, edges: page([moved]) };
    const second: ImpactView = { moved: 3, resolved: 1, stranded: 2, edges: page([stranded, resolved], 6) };
    expect(combineImpacts([first, second])).toEqual({
      moved: 4,
      resolved: 1,
      stranded: 2,
      edges: { totalCount: 7, pageInfo: { hasNextPage: true }, edges: [{ node: moved }, { node: stranded }, { node: resolved }] },
    });
    expect(combineImpacts([])).toEqual({ moved: 0, resolved: 0, stranded: 0, edges: { totalCount: 0, pageInfo: { hasNextPage: false }, edges: [] } });
  });
});

describe('the impact drawing', () => {
  it('marks moved, stranded and resolved edges apart, and draws the affected dependents with the edges between them', () => {
    const dot = renderImpactDot(impact, parser213);
    expect(dot).toContain('  "p213" [label="yaml-parser@2.1.3", style="bold"];\n');
    expect(dot).toContain('  "strict" [label="strict-lint@1.0.0", style="filled", fillcolor="#fee0d2", color="#cb181d"];\n');
    expect(dot).toContain('  "suite" [label="ci-suite@5.0.0", style="filled,dashed", fillcolor="#f7f7f7", color="#bdbdbd"];\n');
    expect(dot).toContain('  "strict" -> "p213" [label="2.1.3 (stranded)", style="dashed", color="#cb181d", fontcolor="#cb181d", penwidth=2, arrowhead="tee"];\n');
    expect(dot).toContain('  "lint" -> "p213" [label="^2.1.0 (before)", style="dashed", color="#969696", fontcolor="#969696"];\n');
    expect(dot).toContain('  "lint" -> "p212" [label="^2.1.0", color="#2171b5", fontcolor="#2171b5", penwidth=2];\n');
    expect(dot).toContain('  "fresh" -> "p300" [label="* (resolved)", color="#238b45", fontcolor="#238b45", penwidth=2];\n');
    expect(dot).toContain('  "suite" -> "lint" [label="^1", color="#bdbdbd"];\n');
    expect(dot).toContain('  "gate" -> "suite" [color="#bdbdbd"];\n');
    // A dependent's own edge to what it resolved before is drawn once, as the impact edge; what is not in the
    // picture (an unresolved dependency, a component outside the impact) is left out.
    expect(dot.match(/"lint" -> "p213"/g)).toHaveLength(1);
    expect(dot).not.toContain('elsewhere');
  });

  it('draws valid SVG with every component, the marked edges and the legend', async () => {
    const drawn = readGraphSvg(await renderSvg(renderImpactDot(impact, parser213)));
    expect([...drawn.nodes.keys()].sort()).toEqual(['fresh', 'gate', 'lint', 'p212', 'p213', 'p300', 'strict', 'suite']);
    expect(drawn.nodes.get('strict')).toMatchObject({ texts: ['strict-lint@1.0.0'], fill: '#fee0d2', stroke: '#cb181d' });
    expect(drawn.edges.get('strict->p213')).toMatchObject({ texts: ['2.1.3 (stranded)'], stroke: '#cb181d', dashed: true });
    expect(drawn.edges.get('lint->p213')).toMatchObject({ stroke: '#969696', dashed: true });
    expect(drawn.edges.get('lint->p212')).toMatchObject({ stroke: '#2171b5', dashed: false });
    expect(drawn.edges.get('fresh->p300')).toMatchObject({ stroke: '#238b45' });
    const svg = await renderSvg(renderImpactDot(impact, parser213));
    for (const key of ['moved: resolves now', 'resolved before', 'stranded: nothing satisfies it', 'depends on one of them']) expect(svg).toContain(key);
  });

  it('spends less layout effort on a large impact, whose dependents all point at the same few versions', async () => {
    expect(renderImpactDot(impact, parser213)).not.toContain('mclimit');
    const many = Array.from({ length: FULL_EFFORT_EDGES }, (_, index): ImpactEdgeView => ({ ...moved, dependent: version(`d${index}`, `dependent-${index}`, '1.0.0') }));
    const large: ImpactView = { moved: many.length, resolved: 0, stranded: 0, edges: page(many) };
    const dot = renderImpactDot(large, parser213);
    expect(dot.split('\n').slice(0, 3)).toEqual(['digraph impact {', '  rankdir=LR;', '  mclimit=0.1;']);
    const drawn = readGraphSvg(await renderSvg(dot));
    expect(drawn.nodes.size).toBe(FULL_EFFORT_EDGES + 2);
    expect(drawn.edges.size).toBe(2 * FULL_EFFORT_EDGES);
  });

  it('says so when nothing moves, with the written component alone', async () => {
    const drawn = readGraphSvg(await renderSvg(renderImpactDot({ moved: 0, resolved: 0, stranded: 0, edges: page([]) }, parser213)));
    expect([...drawn.nodes.keys()].sort()).toEqual(['nothing-moves', 'p213']);
    expect(drawn.nodes.get('nothing-moves')!.texts).toEqual(["no dependent's resolution changes"]);
  });
});

describe('the dependency graph as SVG', () => {
  it('is well-formed SVG naming every component, with the ranges on the edges', async () => {
    const graph: Graph = {
      root: { uuid: 'a', name: 'app', version: '1.0.0' },
      nodes: [
        { depth: 0, component: { uuid: 'a', name: 'app', version: '1.0.0', type: 'TOOL', lifecycle: 'ACTIVE' } },
        { depth: 1, component: { uuid: 'b', name: 'lib<&>"', version: '2.0.0', type: 'TOOL', lifecycle: 'ACTIVE' } },
      ],
      edges: [{ from: 'a', to: 'b', versionSpec: '^2 <3' }],
      unresolved: [{ from: 'b', name: 'gone', versionSpec: '^9', uuid: null }],
      cycles: [],
      isDag: true,
      truncated: false,
    };
    const drawn = readGraphSvg(await renderSvg(renderDot(graph)));
    expect(drawn.nodes.get('a')!.texts).toEqual(['app@1.0.0']);
    expect(drawn.nodes.get('b')!.texts).toEqual(['lib<&>"@2.0.0']);
    expect(drawn.nodes.get('unresolved-0')).toMatchObject({ texts: ['gone ^9 (unresolved)'], dashed: true });
    expect(drawn.edges.get('a->b')!.texts).toEqual(['^2 <3']);
  });

  it('is never drawn from source Graphviz refuses: the reason is the error', async () => {
    await expect(renderSvg('digraph { "a" -> ')).rejects.toThrow(/^Graphviz could not draw the graph: .*syntax error/);
  });

  it('is refused by the reader when it is not well-formed', () => {
    expect(() => readGraphSvg('<svg xmlns="http://www.w3.org/2000/svg"><g></svg>')).toThrow(/not well-formed XML/);
    expect(() => readGraphSvg('<html></html>')).toThrow(/not an SVG/);
  });
});

describe('a write refused for stranding dependents', () => {
  const server = 'this change would leave 25 dependents that are not retired with a dependency nothing satisfies (a@1.0.0, b@1.0.0 and 23 more)';
  it('says --force in the CLI\'s words, with the uuids of the first dependents and how many in all', () => {
    const refused = new RegistryResponseError(`${server}; pass force: true to make it anyway`, { code: 'WOULD_STRAND_DEPENDENTS', dependents: ['u1', 'u2'], total: 25 });
    expect(refused.message).toBe(`${server}; the first 2 of 25: u1, u2. --dry-run shows what the write would move and strand; --force makes it anyway`);
    const all = new RegistryResponseError(server, { code: 'WOULD_STRAND_DEPENDENTS', dependents: ['u1', 'u2'], total: 2 });
    expect(all.message).toBe(`${server}; all 2: u1, u2. --dry-run shows what the write would move and strand; --force makes it anyway`);
    const bare = new RegistryResponseError('refused', { code: 'WOULD_STRAND_DEPENDENTS' });
    expect(bare.message).toBe('refused. --dry-run shows what the write would move and strand; --force makes it anyway');
  });
});
