import type { ComponentSummary } from './component-row.js';
import type { SqlReader } from './resolution.js';

export type GraphDirection = 'DEPENDENCIES' | 'DEPENDENTS';

/** One declaration met by a walk: `to` is what it resolves to now, null when nothing satisfies it. */
export interface WalkEdge {
  readonly from: string;
  readonly position: number;
  readonly to: string | null;
  readonly name: string | null;
  readonly versionSpec: string | null;
  readonly uuid: string | null;
}

/** A walk by uuids (walkGraphAsOf in as-of.ts answers this way); indexWalk turns it into an IndexedWalk. */
export interface WalkResult {
  /** Every declaration of the components reached (towards dependents: every one that resolves to them). */
  readonly edges: WalkEdge[];
  /** The summary of every component reached, the root included. */
  readonly summaries: ComponentSummary[];
  /** True when the database stopped the walk at `rowCap` components: what lies beyond the last level read is unknown. */
  readonly capped: boolean;
}

/**
 * A walk with every component reached numbered (its index in `summaries`) and every declaration read as an entry of
 * the parallel edge arrays, by those numbers: what the layout (src/resolvers/graph.ts) works on without a map keyed
 * by uuid, which on a graph of a hundred thousand nodes cost more than the walk.
 */
export interface IndexedWalk {
  readonly summaries: ComponentSummary[];
  /** The declaring component of each declaration. */
  readonly edgeFrom: Int32Array;
  /** The declaration's place in its component's list. */
  readonly edgePosition: Int32Array;
  /** What it resolves to: -1 when nothing satisfies it, -2 for a component the walk stopped (at its row cap) before reaching. */
  readonly edgeTo: Int32Array;
  readonly edgeSpec: ReadonlyArray<string | null>;
  /** The name and pinned uuid of each declaration that resolved to nothing, by its index in the edge arrays. */
  readonly unresolved: ReadonlyMap<number, { readonly name: string | null; readonly uuid: string | null }>;
  readonly capped: boolean;
}

export interface WalkOptions {
  readonly direction: GraphDirection;
  /** Walk no further than this many levels; null walks the whole closure, each component expanded once. */
  readonly maxDepth: number | null;
  /** Whole summaries, or only uuid, name, version and lifecycle. */
  readonly summaries: boolean;
  /**
   * The most rows one walk may produce before it stops (then `capped`): components reached (walkGraph), or those and
   * the declarations read (as-of walks).
   */
  readonly rowCap: number;
}

// The walk follows the stored resolution of every declaration (resolved_dependencies, kept by the write path:
// prisma/migrations/20261203000000_resolved_dependencies), one row per component reached. Without a depth bound UNION
// drops every component reached before, so each is expanded once and the working table of each level is exactly the
// components new in it. With a bound, rows carry their level and a component may be expanded again on a later one, up
// to the bound; its rows are then folded into one. The walk expands up to the bound inclusive, so the level past it is
// read too: the layout (src/resolvers/graph.ts) notes as truncation what it cannot show.
//
// The components reached are then numbered, and every declaration of theirs (towards dependents, every one resolving
// to them) comes back with the number of the component it was found from and the uuid at its other end.
const CHUNK = 8192;

// What a node brings: whole summaries, or only what every walk shows.
const SUMMARY = `c.uuid, c.name, c.version, c.lifecycle, c.version_key, c.type, c.description, c.owner, c.tags, c.revision,
  c.created_at, c.updated_at`;
const THIN_SUMMARY = `c.uuid, c.name, c.version, c.lifecycle`;

// Every join below is a probe per component reached, forced by OFFSET 0 in a lateral subquery: the planner cannot
// know how much of the registry a walk reaches, and a hash join would read the whole of a table for a walk of a
// few components. This way a walk costs what it reaches, whatever the size of the registry.
const WALK = {
  DEPENDENCIES: (bounded: boolean) => `
    SELECT r.resolved_uuid, ${bounded ? 'f.depth + 1' : '0'} FROM walk f CROSS JOIN LATERAL (
      SELECT resolved_uuid FROM resolved_dependencies WHERE component_uuid = f.node AND resolved_uuid IS NOT NULL OFFSET 0) r
    ${bounded ? 'WHERE f.depth <= $3::int' : ''}`,
  DEPENDENTS: (bounded: boolean) => `
    SELECT r.component_uuid, ${bounded ? 'f.depth + 1' : '0'} FROM walk f CROSS JOIN LATERAL (
      SELECT component_uuid FROM resolved_dependencies WHERE resolved_uuid = f.node OFFSET 0) r
    ${bounded ? 'WHERE f.depth <= $3::int' : ''}`,
};

// The declarations of the components reached (towards dependents, those resolving to them), probed as above: `near`
// is the number of the component probed, `far` the uuid at the other end (towards dependencies what the declaration
// resolves to, null for nothing; towards dependents the declaring component). The caller numbers the far ends
// itself: a join of the components reached with themselves is what the planner, misjudging the walk's size, could
// make a scan of all of them per declaration.
const EDGES = {
  DEPENDENCIES: `SELECT f.i AS near, f.node AS from_uuid, r.position, r.version_spec, r.resolved_uuid AS far
                   FROM reached f CROSS JOIN LATERAL (
                     SELECT position, version_spec, resolved_uuid FROM resolved_dependencies WHERE component_uuid = f.node OFFSET 0) r`,
  DEPENDENTS: `SELECT t.i AS near, r.component_uuid AS from_uuid, r.position, r.version_spec, r.component_uuid AS far
                 FROM reached t CROSS JOIN LATERAL (
                   SELECT component_uuid, position, version_spec FROM resolved_dependencies WHERE resolved_uuid = t.node OFFSET 0) r`,
};

// The answer comes in rows of at most CHUNK entries each, so that no message, buffer or text the driver handles holds
// the whole graph: part 0, components reached, each chunk with its number and the summaries in order; part 1,
// declarations, as one JSON array per column (no array object per declaration to parse), the last listing the name
// and pin of those that resolve to nothing, the only ones that show them; part 2, whether the walk stopped at its cap.
const STATEMENT = (direction: GraphDirection, bounded: boolean, summary: string) => `
  WITH RECURSIVE walk(node, depth) AS (
    SELECT $1::uuid, 0
    UNION${WALK[direction](bounded)}
  ),
  read AS MATERIALIZED (SELECT node FROM walk LIMIT $2::int + 1),
  reached AS MATERIALIZED (
    SELECT r.node, row_number() OVER () - 1 AS i, json_build_array(${summary}) AS summary
      FROM (SELECT ${bounded ? 'DISTINCT ' : ''}node FROM read LIMIT $2::int) r
      CROSS JOIN LATERAL (SELECT * FROM components WHERE uuid = r.node OFFSET 0) c)
  SELECT 0 AS part, min(i) / ${CHUNK} AS chunk, json_agg(summary ORDER BY i) AS items FROM reached GROUP BY i / ${CHUNK}
  UNION ALL
  SELECT 1, NULL, json_build_array(json_agg(e.near), json_agg(e.position), json_agg(e.far), json_agg(e.version_spec),
           coalesce(json_agg((SELECT json_build_array(e.near, e.position, x.dependency_name, x.dependency_uuid) FROM component_dependencies x
                               WHERE x.component_uuid = e.from_uuid AND x.position = e.position)) FILTER (WHERE e.far IS NULL), '[]'))
    FROM (SELECT x.*, (row_number() OVER ()) - 1 AS k FROM (${EDGES[direction]}) x) e
   GROUP BY e.k / ${CHUNK}
  UNION ALL
  SELECT 2, NULL, to_json(count(*) > $2::int) FROM read`;

const STATEMENTS = Object.fromEntries(
  (['DEPENDENCIES', 'DEPENDENTS'] as const).map((direction) => [
    direction,
    {
      closure: { full: STATEMENT(direction, false, SUMMARY), thin: STATEMENT(direction, false, THIN_SUMMARY) },
      bounded: { full: STATEMENT(direction, true, SUMMARY), thin: STATEMENT(direction, true, THIN_SUMMARY) },
    },
  ]),
) as Record<GraphDirection, Record<'closure' | 'bounded', Record<'full' | 'thin', string>>>;

/** The declarations of a walk by column (see EDGES); the last lists those resolving to nothing, by `near` and position. */
type EdgeColumns = [near: number[], position: number[], far: Array<string | null>, versionSpec: Array<string | null>,
  unresolved: Array<[near: number, position: number, name: string | null, pinned: string | null]>];
type NodeTuple = [uuid: string, name: string, version: string, lifecycle: ComponentSummary['lifecycle'], versionKey?: string, type?: ComponentSummary['type'],
  description?: string | null, owner?: string | null, tags?: string[], revision?: number, createdAt?: string, updatedAt?: string];

type Part = { part: 0; chunk: number; items: NodeTuple[] } | { part: 1; items: EdgeColumns } | { part: 2; items: boolean };

function summaryOf([uuid, name, version, lifecycle, versionKey, type, description, owner, tags, revision, createdAt, updatedAt]: NodeTuple): ComponentSummary {
  return {
    uuid, name, version, lifecycle,
    versionKey: versionKey ?? null,
    type: type ?? null,
    description: description ?? null,
    owner: owner ?? null,
    tags: tags ?? null,
    revision: revision ?? null,
    // JSON carries timestamps as text; the schema serves Dates.
    createdAt: createdAt ? new Date(createdAt) : null,
    updatedAt: updatedAt ? new Date(updatedAt) : null,
  };
}

/** The part of the graph around `root` a walk needs, read in one statement. */
export async function walkGraph(db: SqlReader, root: string, options: WalkOptions): Promise<IndexedWalk> {
  const bound = options.maxDepth === null ? 'closure' : 'bounded';
  const summary = options.summaries ? 'full' : 'thin';
  const params = options.maxDepth === null ? [root, options.rowCap] : [root, options.rowCap, options.maxDepth];
  // Prepared once per connection: planning the statement took 5-6 ms of the 40 a graph of 2,000 nodes takes.
  const parts = await db.query<Part>(STATEMENTS[options.direction][bound][summary], params, `graph-walk-${options.direction}-${bound}-${summary}`);
  const summaries: ComponentSummary[] = [];
  const chunks: EdgeColumns[] = [];
  let capped = false;
  for (const part of parts) {
    if (part.part === 1) chunks.push(part.items);
    else if (part.part === 2) capped = part.items;
    else part.items.forEach((tuple, at) => (summaries[part.chunk * CHUNK + at] = summaryOf(tuple)));
  }
  const index = numbersOf(summaries);
  const towardsDependencies = options.direction === 'DEPENDENCIES';
  const edges = new WalkEdges(chunks.reduce((sum, chunk) => sum + chunk[0].length, 0));
  // Chunks come in no particular order and need none: each declaration keeps the place it arrives at. The few that
  // resolve to nothing are found in their chunk by component and position, which a declaration's place is known by.
  for (const [nears, positions, fars, specs, missing] of chunks) {
    const first = edges.count;
    for (let e = 0; e < nears.length; e += 1) {
      const far = fars[e]!;
      if (towardsDependencies) {
        // Resolving beyond a capped walk: -2.
        edges.add(nears[e]!, positions[e]!, far === null ? -1 : (index.get(far) ?? -2), specs[e]!);
      } else {
        // A dependent the walk did not reach (beyond its cap or its depth bound) is left out.
        const from = index.get(far!);
        if (from !== undefined) edges.add(from, positions[e]!, nears[e]!, specs[e]!);
      }
    }
    if (missing.length === 0) continue;
    const details = new Map(missing.map(([near, position, name, uuid]) => [`${near} ${position}`, { name, uuid }]));
    for (let e = first; e < edges.count; e += 1) {
      if (edges.to[e] === -1) edges.unresolved.set(e, details.get(`${edges.from[e]} ${edges.position[e]}`) ?? { name: null, uuid: null });
    }
  }
  return edges.walk(summaries, capped);
}

/** Each component's number in a walk: its place among the summaries. */
function numbersOf(summaries: readonly ComponentSummary[]): Map<string, number> {
  const index = new Map<string, number>();
  for (let i = 0; i < summaries.length; i += 1) index.set(summaries[i]!.uuid, i);
  return index;
}

/** The declarations of an IndexedWalk as they are numbered, in arrays sized for at most `capacity` of them. */
class WalkEdges {
  readonly from: Int32Array;
  readonly position: Int32Array;
  readonly to: Int32Array;
  readonly spec: Array<string | null>;
  readonly unresolved = new Map<number, { name: string | null; uuid: string | null }>();
  count = 0;

  constructor(capacity: number) {
    this.from = new Int32Array(capacity);
    this.position = new Int32Array(capacity);
    this.to = new Int32Array(capacity);
    this.spec = new Array<string | null>(capacity);
  }

  add(from: number, position: number, to: number, spec: string | null): void {
    this.from[this.count] = from;
    this.position[this.count] = position;
    this.to[this.count] = to;
    this.spec[this.count] = spec;
    this.count += 1;
  }

  walk(summaries: ComponentSummary[], capped: boolean): IndexedWalk {
    const { count } = this;
    return {
      summaries,
      edgeFrom: this.from.subarray(0, count),
      edgePosition: this.position.subarray(0, count),
      edgeTo: this.to.subarray(0, count),
      edgeSpec: count === this.spec.length ? this.spec : this.spec.slice(0, count),
      unresolved: this.unresolved,
      capped,
    };
  }
}

/** A walk by uuids (as-of walks) numbered as walkGraph numbers its own. */
export function indexWalk(walk: WalkResult | IndexedWalk): IndexedWalk {
  if (!('edges' in walk)) return walk;
  const index = numbersOf(walk.summaries);
  const edges = new WalkEdges(walk.edges.length);
  for (const edge of walk.edges) {
    // A declaration whose component the walk did not read is left out; one resolving beyond the cap points to -2.
    const from = index.get(edge.from);
    if (from === undefined) continue;
    if (edge.to === null) edges.unresolved.set(edges.count, { name: edge.name, uuid: edge.uuid });
    edges.add(from, edge.position, edge.to === null ? -1 : (index.get(edge.to) ?? -2), edge.versionSpec);
  }
  return edges.walk(walk.summaries, walk.capped);
}
