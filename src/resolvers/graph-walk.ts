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

// The summary columns of a node row, in OUTPUT's order after its name: whole, or only what every walk shows.
const SUMMARY = `c.uuid::text, c.version, c.lifecycle::text, c.version_key, c.type::text, c.description, c.owner, c.tags,
  c.revision, c.created_at, c.updated_at`;
const THIN_SUMMARY = `c.uuid::text, c.version, c.lifecycle::text, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL`;

// Rows of three kinds in one result: a declaration read (node false; its name and pin only when it resolved to
// nothing, the only case that shows them), a component reached (node true, its name in "name"), and, when the
// walk stopped at the row cap, one row with node null.
const OUTPUT = (summary: string) => `
  SELECT false AS node, from_uuid::text AS "from", position, to_uuid::text AS "to",
         CASE WHEN to_uuid IS NULL THEN (SELECT x.dependency_name FROM component_dependencies x WHERE x.component_uuid = e.from_uuid AND x.position = e.position) END AS name,
         version_spec AS "versionSpec",
         CASE WHEN to_uuid IS NULL THEN (SELECT x.dependency_uuid::text FROM component_dependencies x WHERE x.component_uuid = e.from_uuid AND x.position = e.position) END AS pinned,
         NULL::text AS uuid, NULL::text AS version, NULL::text AS lifecycle, NULL::text AS "versionKey", NULL::text AS type,
         NULL::text AS description, NULL::text AS owner, NULL::text[] AS tags, NULL::int AS revision,
         NULL::timestamptz AS "createdAt", NULL::timestamptz AS "updatedAt"
    FROM (SELECT DISTINCT from_uuid, position, to_uuid, version_spec FROM read WHERE from_uuid IS NOT NULL) e
  UNION ALL
  SELECT true, NULL, NULL, NULL, c.name, NULL, NULL, ${summary}
    FROM (SELECT DISTINCT reached FROM read) r JOIN components c ON c.uuid = r.reached
  UNION ALL
  SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
    FROM read HAVING count(*) >= $3`;

// Rows stay narrow (the declaration's position, not its text) because UNION hashes every one of them.
const DEPENDENCIES_SQL = (summary: string) => `
  WITH RECURSIVE walk(from_uuid, position, to_uuid, depth, version_spec) AS (
    SELECT NULL::uuid, NULL::int, $1::uuid, 0, NULL::text
    UNION
    SELECT d.component_uuid, d.position, ${resolvedUuid('d')}, ${STEP_DEPTH}, d.version_spec
      FROM (SELECT DISTINCT to_uuid, depth FROM walk WHERE to_uuid IS NOT NULL AND ${EXPANDS}) f
      JOIN component_dependencies d ON d.component_uuid = f.to_uuid
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

type WalkRow = WalkEdge & { node: boolean | null; pinned: string | null } & { [K in keyof ComponentSummary]: ComponentSummary[K] | null };

/** The part of the graph around `root` a walk needs, read in one statement. */
export async function walkGraph(db: SqlReader, root: string, options: WalkOptions): Promise<WalkResult> {
  const sql = STATEMENTS[options.direction][options.summaries ? 'full' : 'thin'];
  const rows = await db.query<WalkRow>(sql, [root, options.maxDepth, options.rowCap]);
  const edges: WalkEdge[] = [];
  const summaries: ComponentSummary[] = [];
  let capped = false;
  for (const row of rows) {
    if (row.node === null) {
      capped = true;
    } else if (row.node) {
      const { uuid, name, version, lifecycle, versionKey, type, description, owner, tags, revision, createdAt, updatedAt } = row;
      summaries.push({ uuid: uuid!, name: name!, version: version!, lifecycle: lifecycle!, versionKey, type, description, owner, tags, revision, createdAt, updatedAt });
    } else {
      edges.push({ from: row.from, position: row.position, to: row.to, name: row.name, versionSpec: row.versionSpec, uuid: row.pinned });
    }
  }
  return { edges, summaries, capped };
}
