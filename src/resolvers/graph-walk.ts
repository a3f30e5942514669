import type { ComponentSummary } from './component-row.js';
import type { SqlReader } from './resolution.js';
import { declarationsNaming, resolvedUuid } from './resolve-sql.js';

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
  /** True when the database stopped the walk at `rowCap` rows: what lies beyond the last level read is unknown. */
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
  /** The most rows (declarations read and components reached) one walk may produce before it stops. */
  readonly rowCap: number;
}

// The walk's rows are of two kinds. A component row (kind 0: `node`, and `depth` when bounded) says a component was
// reached; a declaration row (kind 1: `from_uuid`, `position`, `node` = what it resolves to, `version_spec`) says a
// declaration was read. Within a recursive CTE only the previous level is visible, but UNION discards every row
// produced before: without a depth bound component rows carry depth 0, so a component is reached, and expanded,
// exactly once, and the level it appears in is the only one its declarations are read in; the working table of the
// next level is exactly the components new in this one, with nothing to deduplicate. With a bound, component rows
// carry their level (a component can then be expanded again on a later level, up to the bound) while declaration
// rows do not, so each declaration still comes out once. Either way the caller derives depths, order and cut-offs
// from the declarations (src/resolvers/graph.ts).
const STEP_DEPTH = `CASE WHEN $2::int IS NULL THEN 0 ELSE f.depth + 1 END`;
const EXPANDS = `($2::int IS NULL OR f.depth <= $2::int)`;

// What a node brings: whole summaries, or only what every walk shows.
const SUMMARY = `c.uuid, c.name, c.version, c.lifecycle, c.version_key, c.type, c.description, c.owner, c.tags, c.revision,
  c.created_at, c.updated_at`;
const THIN_SUMMARY = `c.uuid, c.name, c.version, c.lifecycle`;

// The answer comes in rows of at most CHUNK entries each, so that no message, buffer or text the driver handles holds
// the whole graph: part 0, components reached, as a JSON array of arrays; part 1, declarations read, as one JSON
// array per column (no array object per declaration to parse and collect); part 2, whether the walk stopped at the
// row cap. The driver parses each row's JSON as it arrives. Chunks come in no particular order and need none: the
// caller numbers the components as it reads them and puts each declaration in its place by position.
// Declaration rows come out of the walk once each, so they need no deduplication; component rows need it only when
// bounded (a component reached again on a later level). A declaration's name and pin come back only when it
// resolved to nothing, the only case that shows them.
const CHUNK = 8192;
const OUTPUT = (summary: string) => `,
  read AS MATERIALIZED (SELECT * FROM walk LIMIT $3)
  SELECT 0 AS part, json_agg(json_build_array(${summary})) AS items
    FROM (SELECT node, row_number() OVER () / ${CHUNK} AS chunk FROM (SELECT DISTINCT node FROM read WHERE kind = 0) r) r
    JOIN components c ON c.uuid = r.node
   GROUP BY r.chunk
  UNION ALL
  SELECT 1, json_build_array(json_agg(e.from_uuid), json_agg(e.position), json_agg(e.node), json_agg(e.version_spec),
              coalesce(json_agg((SELECT json_build_array(e.from_uuid, e.position, x.dependency_name, x.dependency_uuid) FROM component_dependencies x
                                  WHERE x.component_uuid = e.from_uuid AND x.position = e.position)) FILTER (WHERE e.node IS NULL), '[]'))
    FROM (SELECT from_uuid, position, node, version_spec, row_number() OVER () / ${CHUNK} AS chunk FROM read WHERE kind = 1) e
   GROUP BY e.chunk
  UNION ALL
  SELECT 2, to_json(count(*) >= $3) FROM read`;

// OFFSET 0 keeps the declarations a probe per component reached (the planner sizes each level at ten rows, and on a
// small table it would otherwise hash the whole table at every level), and keeps each resolution computed once
// though both rows of a declaration use it.
const DEPENDENCIES_SQL = (summary: string) => `
  WITH RECURSIVE walk(kind, from_uuid, position, node, depth, version_spec) AS (
    SELECT 0, NULL::uuid, NULL::int, $1::uuid, 0, NULL::text
    UNION
    SELECT v.* FROM (
      SELECT d.component_uuid, d.position, d.version_spec, ${resolvedUuid('d')} AS resolved, ${STEP_DEPTH} AS depth
        FROM walk f CROSS JOIN LATERAL (SELECT * FROM component_dependencies WHERE component_uuid = f.node OFFSET 0) d
       WHERE f.kind = 0 AND ${EXPANDS}
      OFFSET 0) x
    CROSS JOIN LATERAL (VALUES (0, NULL::uuid, NULL::int, x.resolved, x.depth, NULL::text),
                               (1, x.component_uuid, x.position, x.resolved, 0, x.version_spec)) v(kind, from_uuid, position, node, depth, version_spec)
    WHERE v.kind = 1 OR x.resolved IS NOT NULL
  )${OUTPUT(summary)}`;

// Towards dependents a level is found by the names and uuids of the one before, then kept where the declaration
// resolves to the component it was found from; component rows carry the name the next level looks for.
const DEPENDENTS_SQL = (summary: string) => `
  WITH RECURSIVE walk(kind, from_uuid, position, node, node_name, depth, version_spec) AS (
    SELECT 0, NULL::uuid, NULL::int, uuid, name, 0, NULL::text FROM components WHERE uuid = $1::uuid
    UNION
    SELECT v.* FROM (
      SELECT d.component_uuid, d.position, d.version_spec, f.node AS resolved, dc.name, ${STEP_DEPTH} AS depth
        FROM walk f
        ${declarationsNaming('f.node', 'f.node_name', 'd')}
        JOIN components dc ON dc.uuid = d.component_uuid
       WHERE f.kind = 0 AND ${EXPANDS} AND ${resolvedUuid('d')} = f.node
      OFFSET 0) x
    CROSS JOIN LATERAL (VALUES (0, NULL::uuid, NULL::int, x.component_uuid, x.name, x.depth, NULL::text),
                               (1, x.component_uuid, x.position, x.resolved, NULL, 0, x.version_spec)) v(kind, from_uuid, position, node, node_name, depth, version_spec)
  )${OUTPUT(summary)}`;

const STATEMENTS = {
  DEPENDENCIES: { full: DEPENDENCIES_SQL(SUMMARY), thin: DEPENDENCIES_SQL(THIN_SUMMARY) },
  DEPENDENTS: { full: DEPENDENTS_SQL(SUMMARY), thin: DEPENDENTS_SQL(THIN_SUMMARY) },
} as const;

/** The declarations of a walk by column; the last lists those that resolved to nothing, with their name and pin. */
type EdgeColumns = [from: string[], position: number[], to: Array<string | null>, versionSpec: Array<string | null>,
  unresolved: Array<[from: string, position: number, name: string | null, pinned: string | null]>];
type NodeTuple = [uuid: string, name: string, version: string, lifecycle: ComponentSummary['lifecycle'], versionKey?: string, type?: ComponentSummary['type'],
  description?: string | null, owner?: string | null, tags?: string[], revision?: number, createdAt?: string, updatedAt?: string];

type Part = { part: 0; items: NodeTuple[] } | { part: 1; items: EdgeColumns } | { part: 2; items: boolean };

/** The part of the graph around `root` a walk needs, read in one statement. */
export async function walkGraph(db: SqlReader, root: string, options: WalkOptions): Promise<IndexedWalk> {
  const sql = STATEMENTS[options.direction][options.summaries ? 'full' : 'thin'];
  const parts = await db.query<Part>(sql, [root, options.maxDepth, options.rowCap]);
  const summaries: ComponentSummary[] = [];
  const edges: EdgeColumns[] = [];
  let capped = false;
  for (const part of parts) {
    if (part.part === 1) edges.push(part.items);
    else if (part.part === 2) capped = part.items;
    else {
      for (const [uuid, name, version, lifecycle, versionKey, type, description, owner, tags, revision, createdAt, updatedAt] of part.items) {
        summaries.push({
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
        });
      }
    }
  }
  return numbered(summaries, edges, capped);
}

/** Numbers the components reached and puts each declaration, chunk by chunk, on those numbers (see IndexedWalk). */
function numbered(summaries: ComponentSummary[], chunks: readonly EdgeColumns[], capped: boolean): IndexedWalk {
  const index = new Map<string, number>();
  for (let i = 0; i < summaries.length; i += 1) index.set(summaries[i]!.uuid, i);
  const details = new Map(chunks.flatMap((chunk) => chunk[4]).map(([from, position, name, uuid]) => [`${from} ${position}`, { name, uuid }]));
  const count = chunks.reduce((sum, chunk) => sum + chunk[0].length, 0);
  const edgeFrom = new Int32Array(count);
  const edgePosition = new Int32Array(count);
  const edgeTo = new Int32Array(count);
  const edgeSpec = new Array<string | null>(count);
  const unresolved = new Map<number, { name: string | null; uuid: string | null }>();
  let kept = 0;
  for (const [froms, positions, tos, specs] of chunks) {
    for (let e = 0; e < froms.length; e += 1) {
      // A declaration whose component the walk did not read (as-of walks) is left out; one resolving beyond the row
      // cap points to -2.
      const from = index.get(froms[e]!);
      if (from === undefined) continue;
      const to = tos[e]!;
      edgeFrom[kept] = from;
      edgePosition[kept] = positions[e]!;
      edgeTo[kept] = to === null ? -1 : (index.get(to) ?? -2);
      edgeSpec[kept] = specs[e]!;
      if (to === null) unresolved.set(kept, details.get(`${froms[e]} ${positions[e]}`) ?? { name: null, uuid: null });
      kept += 1;
    }
  }
  return {
    summaries,
    edgeFrom: edgeFrom.subarray(0, kept),
    edgePosition: edgePosition.subarray(0, kept),
    edgeTo: edgeTo.subarray(0, kept),
    edgeSpec: kept === count ? edgeSpec : edgeSpec.slice(0, kept),
    unresolved,
    capped,
  };
}

/** A walk by uuids (as-of walks) numbered as walkGraph numbers its own. */
export function indexWalk(walk: WalkResult | IndexedWalk): IndexedWalk {
  if (!('edges' in walk)) return walk;
  const { edges } = walk;
  return numbered(walk.summaries, [[
    edges.map((edge) => edge.from),
    edges.map((edge) => edge.position),
    edges.map((edge) => edge.to),
    edges.map((edge) => edge.versionSpec),
    edges.filter((edge) => edge.to === null).map((edge) => [edge.from, edge.position, edge.name, edge.uuid]),
  ]], walk.capped);
}
