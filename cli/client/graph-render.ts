import type { DependencyGraphQuery, GraphDirection } from '../generated/graphql.js';

export type Graph = DependencyGraphQuery['dependencyGraph'];

function labels(graph: Graph): Map<string, string> {
  return new Map(graph.nodes.map(({ component }) => [component.uuid, `${component.name}@${component.version}`]));
}

/**
 * The graph as an indented tree from the root. Edges always point from a dependent to its dependency, so
 * walking DEPENDENTS follows them backwards. A component met again is not expanded again: `(see above)`,
 * or `(cycle)` when it is on the path that reached it.
 */
export function renderTree(graph: Graph, direction: GraphDirection): string {
  const label = labels(graph);
  const children = new Map<string, Array<{ uuid: string; spec: string | null }>>();
  for (const edge of graph.edges) {
    const [parent, child] = direction === 'DEPENDENCIES' ? [edge.from, edge.to] : [edge.to, edge.from];
    children.set(parent, [...(children.get(parent) ?? []), { uuid: child, spec: edge.versionSpec }]);
  }
  const unresolved = new Map<string, string[]>();
  for (const missing of graph.unresolved) {
    const what = missing.name ? `${missing.name} ${missing.versionSpec}` : `uuid ${missing.uuid}`;
    unresolved.set(missing.from, [...(unresolved.get(missing.from) ?? []), `${what}  (unresolved)`]);
  }
  const lines = [`${label.get(graph.root.uuid) ?? `${graph.root.name}@${graph.root.version}`}  ${graph.root.uuid}`];
  const expanded = new Set<string>([graph.root.uuid]);
  const walk = (uuid: string, prefix: string, path: ReadonlySet<string>) => {
    const items = [
      ...(children.get(uuid) ?? []).map((child) => ({ child })),
      ...(direction === 'DEPENDENCIES' ? (unresolved.get(uuid) ?? []) : []).map((text) => ({ text })),
    ];
    items.forEach((item, index) => {
      const last = index === items.length - 1;
      const branch = `${prefix}${last ? '└── ' : '├── '}`;
      if ('text' in item) {
        lines.push(`${branch}${item.text}`);
        return;
      }
      const { uuid: child, spec } = item.child;
      const name = `${label.get(child) ?? child}${spec ? `  ${spec}` : '  (pinned)'}`;
      if (path.has(child)) lines.push(`${branch}${name}  (cycle)`);
      else if (expanded.has(child)) lines.push(`${branch}${name}  (see above)`);
      else {
        lines.push(`${branch}${name}`);
        expanded.add(child);
        walk(child, `${prefix}${last ? '    ' : '│   '}`, new Set([...path, child]));
      }
    });
  };
  walk(graph.root.uuid, '', new Set([graph.root.uuid]));
  for (const cycle of graph.cycles) lines.push(`cycle: ${cycle.map((uuid) => label.get(uuid) ?? uuid).join(' → ')}`);
  if (graph.truncated) lines.push('truncated: the depth or node limit stopped the walk; raise --depth to see more');
  return lines.map((line) => `${line}\n`).join('');
}

/** A Graphviz quoted string (an ID or a label). */
export function quoted(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Graphviz source: one node per component, edges from dependent to dependency labelled with the range. */
export function renderDot(graph: Graph): string {
  const label = labels(graph);
  const lines = ['digraph dependencies {', '  rankdir=LR;', '  node [shape=box];'];
  for (const [uuid, text] of label) lines.push(`  ${quoted(uuid)} [label=${quoted(text)}${uuid === graph.root.uuid ? ', style=bold' : ''}];`);
  for (const edge of graph.edges) {
    lines.push(`  ${quoted(edge.from)} -> ${quoted(edge.to)}${edge.versionSpec ? ` [label=${quoted(edge.versionSpec)}]` : ''};`);
  }
  graph.unresolved.forEach((missing, index) => {
    const id = quoted(`unresolved-${index}`);
    const text = missing.name ? `${missing.name} ${missing.versionSpec}` : `uuid ${missing.uuid}`;
    lines.push(`  ${id} [label=${quoted(`${text} (unresolved)`)}, style=dashed];`);
    lines.push(`  ${quoted(missing.from)} -> ${id} [style=dashed];`);
  });
  lines.push('}');
  return lines.map((line) => `${line}\n`).join('');
}

/** Mermaid flowchart source, for Markdown that renders it (GitHub, GitLab). */
export function renderMermaid(graph: Graph): string {
  const ids = new Map(graph.nodes.map(({ component }, index) => [component.uuid, `n${index}`]));
  const text = (value: string) => `"${value.replace(/"/g, '#quot;')}"`;
  const lines = ['graph LR'];
  for (const { component } of graph.nodes) lines.push(`  ${ids.get(component.uuid)}[${text(`${component.name}@${component.version}`)}]`);
  for (const edge of graph.edges) {
    const arrow = edge.versionSpec ? `-->|${text(edge.versionSpec)}|` : '-->';
    lines.push(`  ${ids.get(edge.from)} ${arrow} ${ids.get(edge.to)}`);
  }
  graph.unresolved.forEach((missing, index) => {
    const what = missing.name ? `${missing.name} ${missing.versionSpec}` : `uuid ${missing.uuid}`;
    lines.push(`  u${index}[${text(`${what} (unresolved)`)}]`, `  ${ids.get(missing.from)} -.-> u${index}`);
  });
  return lines.map((line) => `${line}\n`).join('');
}
