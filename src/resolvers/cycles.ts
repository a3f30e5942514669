import { DependencyCycleError, BadUserInputError } from './errors.js';
import { GRAPH_LIMITS } from './graph.js';
import type { SqlReader } from './resolution.js';
import { resolvedUuid } from './resolve-sql.js';

interface Node {
  readonly uuid: string;
  readonly name: string;
}

/** The shortest closed path from `source` back to itself over `targets`, or null. */
function shortestCycle(targets: ReadonlyMap<string, string[]>, source: string): string[] | null {
  const parent = new Map<string, string>();
  let frontier = [source];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const from of frontier) {
      for (const to of targets.get(from) ?? []) {
        if (to === source) {
          const path = [from];
          for (let at = from; at !== source; at = parent.get(at)!) path.push(parent.get(at)!);
          return [...path.reverse(), source];
        }
        if (!parent.has(to)) {
          parent.set(to, from);
          next.push(to);
        }
      }
    }
    frontier = next;
  }
  return null;
}

// Both closures of the sources at once, level by level: what they depend on ("down") and what depends on them
// ("up"), each declaration read once (UNION drops rows seen before, so cycles end the walk). Every level counts
// what each side found new in the level before, and the walk ends on both sides the moment one side found
// nothing: that side's closure is complete, and a cycle through a source lies wholly inside it. A new entry
// nothing resolves to costs one level, however large the graph below it.
const CLOSURES_SQL = `
  WITH RECURSIVE walk(down, from_uuid, to_uuid, reached, reached_name) AS (
    SELECT side.down, NULL::uuid, NULL::uuid, s.uuid, s.name
      FROM unnest($1::uuid[], $2::text[]) AS s(uuid, name) CROSS JOIN (VALUES (true), (false)) AS side(down)
    UNION
    SELECT f.down, d.component_uuid, CASE WHEN f.down THEN d.resolved ELSE f.reached END,
           CASE WHEN f.down THEN d.resolved ELSE d.component_uuid END, dc.name
      FROM (SELECT DISTINCT down, reached, reached_name,
                   count(*) FILTER (WHERE down) OVER () AS downs, count(*) FILTER (WHERE NOT down) OVER () AS ups
              FROM walk) f
      CROSS JOIN LATERAL (
        SELECT d.component_uuid, ${resolvedUuid('d')} AS resolved FROM (
          SELECT * FROM component_dependencies WHERE f.down AND component_uuid = f.reached
          UNION ALL
          SELECT * FROM component_dependencies WHERE NOT f.down AND dependency_uuid = f.reached
          UNION ALL
          SELECT * FROM component_dependencies WHERE NOT f.down AND dependency_name = f.reached_name) d) d
      LEFT JOIN components dc ON NOT f.down AND dc.uuid = d.component_uuid
     WHERE f.downs > 0 AND f.ups > 0 AND d.resolved IS NOT NULL AND (f.down OR d.resolved = f.reached)
  ),
  read AS MATERIALIZED (SELECT from_uuid, to_uuid FROM walk LIMIT $3)
  SELECT DISTINCT from_uuid::text AS "from", to_uuid::text AS "to" FROM read WHERE from_uuid IS NOT NULL
  UNION ALL
  SELECT NULL, NULL FROM read HAVING count(*) >= $3`;

/**
 * A dependency cycle through one of `sources`, as a closed path of uuids, or null: one statement, whatever the
 * depth of the graph around them. Every edge the walk read is real and the closure that completed holds every
 * cycle through a source, so the shortest cycle over all edges read is the shortest there is.
 */
export async function findCycleThrough(db: SqlReader, sources: readonly Node[]): Promise<string[] | null> {
  if (sources.length === 0) return null;
  const rows = await db.query<{ from: string | null; to: string | null }>(CLOSURES_SQL, [
    sources.map((source) => source.uuid),
    sources.map((source) => source.name),
    GRAPH_LIMITS.maxDeclarations,
  ]);
  const targets = new Map<string, string[]>();
  for (const { from, to } of rows) {
    if (from === null || to === null) {
      throw new BadUserInputError(
        `cannot check this change for dependency cycles: what it depends on and what depends on it both exceed ` +
          `${GRAPH_LIMITS.maxDeclarations.toLocaleString('en')} declarations`,
      );
    }
    const list = targets.get(from);
    if (list) list.push(to);
    else targets.set(from, [to]);
  }
  for (const source of sources) {
    const cycle = shortestCycle(targets, source.uuid);
    if (cycle) return cycle;
  }
  return null;
}

/** Refuses the write in progress (its rows already in `db`'s transaction) when it closed a cycle through `sources`. */
export async function assertNoCycleThrough(db: SqlReader, sources: readonly Node[]): Promise<void> {
  const cycle = await findCycleThrough(db, sources);
  if (!cycle) return;
  const rows = await db.query<{ uuid: string; label: string }>(
    `SELECT uuid::text AS uuid, name || '@' || version AS label FROM components WHERE uuid = ANY($1::uuid[])`,
    [cycle],
  );
  throw new DependencyCycleError(cycle, new Map(rows.map((row) => [row.uuid, row.label])));
}
