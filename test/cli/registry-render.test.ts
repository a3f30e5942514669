import { describe, expect, it } from 'vitest';
import { renderDot, renderMermaid, renderTree, type Graph } from '../../cli/client/graph-render.js';
import { componentTable, table } from '../../cli/client/output.js';

const node = (uuid: string, name: string, depth: number) => ({
  depth,
  component: { uuid, name, version: '1.0.0', type: 'VALIDATOR' as const, lifecycle: 'ACTIVE' as const },
});

// a → b → c → a is a cycle, d is reached twice (from a and c); b has an unresolved dependency.
const graph: Graph = {
  root: { uuid: 'a', name: 'app', version: '1.0.0' },
  nodes: [node('a', 'app', 0), node('b', 'lib', 1), node('d', 'util', 1), node('c', 'core', 2)],
  edges: [
    { from: 'a', to: 'b', versionSpec: '^1' },
    { from: 'a', to: 'd', versionSpec: null },
    { from: 'b', to: 'c', versionSpec: '~1.0' },
    { from: 'c', to: 'a', versionSpec: '1.0.0' },
    { from: 'c', to: 'd', versionSpec: '"quoted"' },
  ],
  unresolved: [{ from: 'b', name: 'gone', versionSpec: '^9', uuid: null }, { from: 'd', name: null, versionSpec: null, uuid: 'zz' }],
  cycles: [['a', 'b', 'c', 'a']],
  isDag: false,
  truncated: false,
};

describe('graph rendering', () => {
  it('draws a tree that marks cycles, repeats and unresolved dependencies', () => {
    expect(renderTree(graph, 'DEPENDENCIES')).toBe(
      [
        'app@1.0.0  a',
        '├── lib@1.0.0  ^1',
        '│   ├── core@1.0.0  ~1.0',
        '│   │   ├── app@1.0.0  1.0.0  (cycle)',
        '│   │   └── util@1.0.0  "quoted"',
        '│   │       └── uuid zz  (unresolved)',
        '│   └── gone ^9  (unresolved)',
        '└── util@1.0.0  (pinned)  (see above)',
        'cycle: app@1.0.0 → lib@1.0.0 → core@1.0.0 → app@1.0.0',
        '',
      ].join('\n'),
    );
  });

  it('walks edges backwards for dependents', () => {
    const dependents: Graph = { ...graph, root: { uuid: 'd', name: 'util', version: '1.0.0' }, cycles: [], truncated: true };
    expect(renderTree(dependents, 'DEPENDENTS')).toBe(
      [
        'util@1.0.0  d',
        '├── app@1.0.0  (pinned)',
        '│   └── core@1.0.0  1.0.0',
        '│       └── lib@1.0.0  ~1.0',
        '│           └── app@1.0.0  ^1  (cycle)',
        '└── core@1.0.0  "quoted"  (see above)',
        'truncated: the depth or node limit stopped the walk; raise --depth to see more',
        '',
      ].join('\n'),
    );
  });

  it('escapes quotes in Graphviz and Mermaid labels', () => {
    expect(renderDot(graph)).toContain('  "c" -> "d" [label="\\"quoted\\""];\n');
    expect(renderDot(graph)).toContain('  "unresolved-1" [label="uuid zz (unresolved)", style=dashed];\n  "d" -> "unresolved-1" [style=dashed];\n');
    expect(renderMermaid(graph)).toContain('  n3 -->|"#quot;quoted#quot;"| n2\n');
    expect(renderMermaid(graph)).toContain('  n0 --> n2\n');
  });
});

describe('tables', () => {
  it('pads every column to its widest cell and trims line ends', () => {
    expect(table(['A', 'LONG HEADER'], [['wide cell', 'x'], ['y', '']])).toBe('A          LONG HEADER\nwide cell  x\ny\n');
    expect(componentTable([])).toBe('NAME  VERSION  TYPE  LIFECYCLE  TAGS  UUID\n');
  });
});
