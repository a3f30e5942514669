import { quoted } from './graph-render.js';
import { table } from './output.js';

/**
 * What a write changes (or would change) in resolutions, as the registry reports it on RegisterPayload,
 * UpdatePayload and RegisterManyPayload (SPEC §3.1). These are the shapes the CLI's operations select; the
 * generated operation types fit them, and so does the sum of several chunks' impacts.
 */
export type ImpactKind = 'MOVED' | 'RESOLVED' | 'STRANDED';

export interface ImpactVersion {
  readonly uuid: string;
  readonly name: string;
  readonly version: string;
}

/** One declared dependency whose resolution the write changes: from `before` to `after` (null: unresolved). */
export interface ImpactEdgeView {
  readonly kind: ImpactKind;
  readonly versionSpec: string;
  readonly dependent: ImpactVersion;
  readonly before: ImpactVersion | null;
  readonly after: ImpactVersion | null;
}

/** A transitive dependent the write touches, with what it resolves to now: the edges drawn between them. */
export interface AffectedComponent extends ImpactVersion {
  readonly dependencies: ReadonlyArray<{ readonly versionSpec: string | null; readonly resolved: { readonly uuid: string } | null }>;
}

export interface ImpactPage<T> {
  readonly totalCount: number;
  readonly pageInfo: { readonly hasNextPage: boolean };
  readonly edges: ReadonlyArray<{ readonly node: T }>;
}

export interface ImpactView {
  readonly moved: number;
  readonly resolved: number;
  readonly stranded: number;
  readonly edges: ImpactPage<ImpactEdgeView>;
  /** Selected only where it is drawn (`registry impact`). */
  readonly affected?: ImpactPage<AffectedComponent>;
}

/** The impact of several writes checked one after the other (the chunks of `registry add --dry-run`). */
export function combineImpacts(impacts: readonly ImpactView[]): ImpactView {
  const sum = (count: (impact: ImpactView) => number) => impacts.reduce((total, impact) => total + count(impact), 0);
  return {
    moved: sum((impact) => impact.moved),
    resolved: sum((impact) => impact.resolved),
    stranded: sum((impact) => impact.stranded),
    edges: {
      totalCount: sum((impact) => impact.edges.totalCount),
      pageInfo: { hasNextPage: impacts.some((impact) => impact.edges.pageInfo.hasNextPage) },
      edges: impacts.flatMap((impact) => impact.edges.edges),
    },
  };
}

const KIND_ORDER: Readonly<Record<ImpactKind, number>> = { STRANDED: 0, MOVED: 1, RESOLVED: 2 };

const label = (version: ImpactVersion) => `${version.name}@${version.version}`;

/** An empty range is `*`, as in npm. */
const range = (versionSpec: string) => versionSpec || '*';

/** The edges, stranded first (what blocks a write), then moved, then resolved; by dependent within each kind. */
function sortedEdges(impact: ImpactView): ImpactEdgeView[] {
  return impact.edges.edges
    .map((edge) => edge.node)
    .sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || label(a.dependent).localeCompare(label(b.dependent)) || a.versionSpec.localeCompare(b.versionSpec));
}

/** `impact: 2 moved, 0 resolved, 1 stranded`, and how many components it reaches when that was asked. */
export function impactSummary(impact: ImpactView): string {
  const counts = `impact: ${impact.moved} moved, ${impact.resolved} resolved, ${impact.stranded} stranded`;
  return impact.affected ? `${counts}; ${impact.affected.totalCount} affected (the dependents whose resolution changes and what depends on them)` : counts;
}

/**
 * The impact for people: the summary line, then one row per changed resolution (dependent, range, before →
 * after), or a line saying nothing moves. When the registry sent only the first page of a long list, says so.
 */
export function renderImpactTable(impact: ImpactView): string {
  const edges = sortedEdges(impact);
  const lines = [`${impactSummary(impact)}\n`];
  if (!edges.length) {
    lines.push("no dependent's resolution changes\n");
    return lines.join('');
  }
  lines.push(
    table(
      ['KIND', 'DEPENDENT', 'RANGE', 'BEFORE → AFTER'],
      edges.map((edge) => [
        edge.kind.toLowerCase(),
        label(edge.dependent),
        range(edge.versionSpec),
        `${edge.before ? label(edge.before) : 'unresolved'} → ${edge.after ? label(edge.after) : 'unresolved'}`,
      ]),
    ),
  );
  if (edges.length < impact.edges.totalCount || impact.edges.pageInfo.hasNextPage) {
    lines.push(`(the first ${edges.length} of ${impact.edges.totalCount} changed resolutions)\n`);
  }
  return lines.join('');
}

/** Above this many edges, Graphviz spends less effort on fewer crossings (see renderImpactDot). */
export const FULL_EFFORT_EDGES = 150;

/** Colours that read apart for most colour vision, each with a line style too, so print in grey still tells. */
const STYLE = {
  moved: { line: '#2171b5', fill: '#deebf7' },
  resolved: { line: '#238b45', fill: '#e5f5e0' },
  stranded: { line: '#cb181d', fill: '#fee0d2' },
  before: { line: '#969696' },
  affected: { line: '#bdbdbd', fill: '#f7f7f7' },
} as const;

const attributes = (entries: Record<string, string | number | undefined>) =>
  `[${Object.entries(entries)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'number' ? value : quoted(value)}`)
    .join(', ')}]`;

/** The styles of an edge from a dependent to what it resolved to before the write and what it resolves to after. */
function edgeStyles(edge: ImpactEdgeView): { before: Record<string, string | number>; after: Record<string, string | number> } {
  const spec = range(edge.versionSpec);
  const before = { label: `${spec} (before)`, style: 'dashed', color: STYLE.before.line, fontcolor: STYLE.before.line };
  if (edge.kind === 'STRANDED') {
    const { line } = STYLE.stranded;
    return { before: { label: `${spec} (stranded)`, style: 'dashed', color: line, fontcolor: line, penwidth: 2, arrowhead: 'tee' }, after: {} };
  }
  const { line } = edge.kind === 'MOVED' ? STYLE.moved : STYLE.resolved;
  return { before, after: { label: edge.kind === 'MOVED' ? spec : `${spec} (resolved)`, color: line, fontcolor: line, penwidth: 2 } };
}

/** Text for an HTML-like Graphviz label. */
const html = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * The title: the counts, and a one-row key to the colours and line styles under them. An HTML-like label keeps
 * the key compact and out of the layout, where a cluster of sample edges would be ranked with the graph.
 */
function title(impact: ImpactView): string {
  const line = (colour: string, sample: string, text: string) =>
    `<TD><FONT COLOR="${colour}">${sample}</FONT></TD><TD ALIGN="LEFT">${html(text)}</TD>`;
  const swatch = (style: { line: string; fill: string }, text: string) =>
    `<TD BGCOLOR="${style.fill}" COLOR="${style.line}" BORDER="1">  </TD><TD ALIGN="LEFT">${html(text)}</TD>`;
  const key = [
    line(STYLE.moved.line, '━━▶', 'moved: resolves now'),
    line(STYLE.before.line, '╍╍▶', 'resolved before'),
    line(STYLE.resolved.line, '━━▶', 'resolved: was unresolved'),
    line(STYLE.stranded.line, '╍╍┤', 'stranded: nothing satisfies it'),
    line(STYLE.affected.line, '──▶', 'depends on'),
  ];
  const fills = [
    swatch(STYLE.stranded, 'stranded dependent'),
    swatch(STYLE.moved, 'moved dependent'),
    swatch(STYLE.resolved, 'resolved dependent'),
    swatch(STYLE.affected, 'depends on one of them'),
  ];
  // Each item is two cells, with a spacer between items; a shorter row is padded to the width of the longest.
  const width = 3 * key.length - 1;
  const row = (cells: string[]) => {
    const pad = width - (3 * cells.length - 1);
    return `<TR>${cells.join('<TD>  </TD>')}${pad ? `<TD COLSPAN="${pad}"></TD>` : ''}</TR>`;
  };
  return (
    `<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2">` +
    `<TR><TD COLSPAN="${width}"><FONT POINT-SIZE="14">${html(impactSummary(impact).replace(/ \(.*\)$/, ''))}</FONT></TD></TR>` +
    `${row(key)}${row(fills)}</TABLE>>`
  );
}

/**
 * Graphviz source for the part of the graph a write touches: each dependent whose resolution changes, with
 * its edge to what it resolved to before (dashed) and to what it resolves to after (coloured by kind), the
 * transitive dependents that were asked for (`affected`) with the edges between them, and a legend.
 * `subject` is the component written, drawn in bold.
 */
export function renderImpactDot(impact: ImpactView, subject?: ImpactVersion): string {
  const edges = sortedEdges(impact);
  const nodes = new Map<string, { version: ImpactVersion; fill?: string; line?: string; dashed?: boolean }>();
  const place = (version: ImpactVersion | null, style: { fill?: string; line?: string; dashed?: boolean } = {}) => {
    if (!version) return;
    const known = nodes.get(version.uuid);
    // The first style a node gets stays: edges come stranded first, so a dependent shows its worst kind.
    if (!known || (!known.fill && style.fill)) nodes.set(version.uuid, { version, ...style });
  };
  if (subject) place(subject);
  for (const edge of edges) {
    const kind = edge.kind === 'STRANDED' ? STYLE.stranded : edge.kind === 'MOVED' ? STYLE.moved : STYLE.resolved;
    place(edge.dependent, { fill: kind.fill, line: kind.line });
    place(edge.before);
    place(edge.after);
  }
  const affected = impact.affected?.edges.map((edge) => edge.node) ?? [];
  for (const component of affected) place(component, { fill: STYLE.affected.fill, line: STYLE.affected.line, dashed: true });

  const lines = [
    'digraph impact {',
    '  rankdir=LR;',
    `  labelloc=t; labeljust=l; fontname="Helvetica"; fontsize=10; label=${title(impact)};`,
    '  node [shape=box, fontname="Helvetica", fontsize=11];',
    '  edge [fontname="Helvetica", fontsize=10];',
  ];
  for (const [uuid, { version, fill, line, dashed }] of nodes) {
    const style = [fill ? 'filled' : undefined, dashed ? 'dashed' : undefined, uuid === subject?.uuid ? 'bold' : undefined].filter(Boolean).join(',');
    lines.push(`  ${quoted(uuid)} ${attributes({ label: label(version), style: style || undefined, fillcolor: fill, color: line })};`);
  }
  const drawn = new Set<string>();
  for (const edge of edges) {
    const styles = edgeStyles(edge);
    for (const [target, style] of [
      [edge.before, styles.before],
      [edge.after, styles.after],
    ] as const) {
      if (!target) continue;
      drawn.add(`${edge.dependent.uuid} ${target.uuid}`);
      lines.push(`  ${quoted(edge.dependent.uuid)} -> ${quoted(target.uuid)} ${attributes(style)};`);
    }
  }
  for (const component of affected) {
    for (const dependency of component.dependencies) {
      const to = dependency.resolved?.uuid;
      if (!to || !nodes.has(to) || drawn.has(`${component.uuid} ${to}`)) continue;
      drawn.add(`${component.uuid} ${to}`);
      lines.push(`  ${quoted(component.uuid)} -> ${quoted(to)} ${attributes({ label: dependency.versionSpec ?? undefined, color: STYLE.affected.line })};`);
    }
  }
  if (!edges.length) lines.push(`  "nothing-moves" [shape=plaintext, label="no dependent's resolution changes"];`);
  // Every dependent has labelled edges to the same few versions, a pattern whose crossing minimisation grows
  // fast: at 1,000 changes, 56 s with Graphviz's default effort and 3.6 s with a tenth of it.
  if (drawn.size > FULL_EFFORT_EDGES) lines.splice(2, 0, '  mclimit=0.1;');
  lines.push('}');
  return lines.map((line) => `${line}\n`).join('');
}
