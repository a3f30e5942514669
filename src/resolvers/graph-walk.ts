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

export interface WalkResult {
  /** Every declaration of the components reached (towards dependents: every one that resolves to them). */
  readonly edges: WalkEdge[];
  /** The summary of every component reached, the root included. */
  readonly summaries: ComponentSummary[];
  /** True when the database stopped the walk at `rowCap` rows: what lies beyond the last level read is unknown. */
  readonly capped: boolean;
}

export interface WalkOptions {
  readonly direction: GraphDirection;
  /** Walk no further than this many levels; null walks the whole closure, each component expanded once. */
  readonly maxDepth: number | null;
  /** Whole summaries, or only uuid, name, version and lifecycle. */
  readonly summaries: boolean;
  /** The most declarations one walk may read before it stops. */
  readonly rowCap: number;
}

// Within a recursive CTE only the previous level is visible, so components met before cannot be excluded by
// name. Two forms keep the walk finite anyway. Without a depth bound, rows carry no depth and UNION discards
// every row seen before: each declaration is read once, cycles included, and a component is expanded again only
// when a new declaration reaches it in a later level. With a bound, rows carry their level (UNION then only
// folds repeats within a level) and the bound ends the walk. Either way the caller derives depths, order and
// cut-offs from the declarations (src/resolvers/graph.ts).
const STEP_DEPTH = `CASE WHEN $2::int IS NULL THEN 0 ELSE f.depth + 1 END`;
const EXPANDS = `($2::int IS NULL OR depth <= $2::int)`;

// What a node brings: whole summaries, or only what every walk shows (the rest comes back null).
const SUMMARY = `c.uuid, c.name, c.version, c.lifecycle, c.version_key, c.type, c.description, c.owner, c.tags, c.revision,
  c.created_at, c.updated_at`;
const THIN_SUMMARY = `c.uuid, c.name, c.version, c.lifecycle`;

// One row: the declarations read and the components reached, each as a JSON array of arrays (the driver then parses
// one text per list instead of a row object per entry, which cost more than the walk on large graphs), and whether
// the walk stopped at the row cap. A declaration's name and pin come back only when it resolved to nothing, the
// only case that shows them.
const OUTPUT = (summary: string) => `
  SELECT
    (SELECT coalesce(json_agg(json_build_array(e.from_uuid, e.position, e.to_uuid, e.version_spec,
              CASE WHEN e.to_uuid IS NULL THEN (SELECT json_build_array(x.dependency_name, x.dependency_uuid) FROM component_dependencies x
                                                 WHERE x.component_uuid = e.from_uuid AND x.position = e.position) END)), '[]')
       FROM (SELECT DISTINCT from_uuid, position, to_uuid, version_spec FROM read WHERE from_uuid IS NOT NULL) e) AS edges,
    (SELECT coalesce(json_agg(json_build_array(${summary})), '[]')
       FROM (SELECT DISTINCT reached FROM read) r JOIN components c ON c.uuid = r.reached) AS nodes,
    (SELECT count(*) >= $3 FROM read) AS capped`;

// Rows stay narrow (the declaration's position, not its text) because UNION hashes every one of them. OFFSET 0
// keeps the declarations a probe per component reached: the planner sizes each level at ten rows, and on a small
// table it would otherwise hash the whole table at every level, once per level of a deep graph.
const DEPENDENCIES_SQL = (summary: string) => `
  WITH RECURSIVE walk(from_uuid, position, to_uuid, depth, version_spec) AS (
    SELECT NULL::uuid, NULL::int, $1::uuid, 0, NULL::text
    UNION
    SELECT d.component_uuid, d.position, ${resolvedUuid('d')}, ${STEP_DEPTH}, d.version_spec
      FROM (SELECT DISTINCT to_uuid, depth FROM walk WHERE to_uuid IS NOT NULL AND ${EXPANDS}) f
      CROSS JOIN LATERAL (SELECT * FROM component_dependencies WHERE component_uuid = f.to_uuid OFFSET 0) d
  ),
  read AS MATERIALIZED (SELECT from_uuid, position, to_uuid, to_uuid AS reached, version_spec FROM walk LIMIT $3)
  ${OUTPUT(summary)}`;

// Towards dependents a level is found by the names and uuids of the one before, then kept where the
// declaration resolves to the component it was found from.
const DEPENDENTS_SQL = (summary: string) => `
  WITH RECURSIVE walk(from_uuid, position, to_uuid, reached, reached_name, depth, version_spec) AS (
    SELECT NULL::uuid, NULL::int, NULL::uuid, uuid, name, 0, NULL::text FROM components WHERE uuid = $1::uuid
    UNION
    SELECT d.component_uuid, d.position, f.reached, d.component_uuid, dc.name, ${STEP_DEPTH}, d.version_spec
      FROM (SELECT DISTINCT reached, reached_name, depth FROM walk WHERE ${EXPANDS}) f
      ${declarationsNaming('f.reached', 'f.reached_name', 'd')}
      JOIN components dc ON dc.uuid = d.component_uuid
     WHERE ${resolvedUuid('d')} = f.reached
  ),
  read AS MATERIALIZED (SELECT from_uuid, position, to_uuid, reached, version_spec FROM walk LIMIT $3)
  ${OUTPUT(summary)}`;

const STATEMENTS = {
  DEPENDENCIES: { full: DEPENDENCIES_SQL(SUMMARY), thin: DEPENDENCIES_SQL(THIN_SUMMARY) },
  DEPENDENTS: { full: DEPENDENTS_SQL(SUMMARY), thin: DEPENDENTS_SQL(THIN_SUMMARY) },
} as const;

type EdgeTuple = [from: string, position: number, to: string | null, versionSpec: string | null, unresolved: [name: string | null, pinned: string | null] | null];
type NodeTuple = [uuid: string, name: string, version: string, lifecycle: ComponentSummary['lifecycle'], versionKey?: string, type?: ComponentSummary['type'],
  description?: string | null, owner?: string | null, tags?: string[], revision?: number, createdAt?: string, updatedAt?: string];

/** The part of the graph around `root` a walk needs, read in one statement. */
export async function walkGraph(db: SqlReader, root: string, options: WalkOptions): Promise<WalkResult> {
  const sql = STATEMENTS[options.direction][options.summaries ? 'full' : 'thin'];
  const [row] = await db.query<{ edges: EdgeTuple[]; nodes: NodeTuple[]; capped: boolean }>(sql, [root, options.maxDepth, options.rowCap]);
  const edges = row!.edges.map(([from, position, to, versionSpec, unresolved]): WalkEdge => ({ from, position, to, versionSpec, name: unresolved?.[0] ?? null, uuid: unresolved?.[1] ?? null }));
  const summaries = row!.nodes.map(
    ([uuid, name, version, lifecycle, versionKey, type, description, owner, tags, revision, createdAt, updatedAt]): ComponentSummary => ({
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
    }),
  );
  return { edges, summaries, capped: row!.capped };
}
