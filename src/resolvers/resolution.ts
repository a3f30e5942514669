import type { Prisma } from '../generated/prisma/client.js';
import type { ComponentSummary } from './component-row.js';

/** Reads with plain SQL and positional parameters: the driver directly, or the transaction of a write. */
export interface SqlReader {
  /** `prepared`: a name to prepare the statement under where the reader can (Database.query). */
  query<Row>(sql: string, params?: readonly unknown[], prepared?: string): Promise<Row[]>;
}

/** A write's transaction as a reader, so a check inside the write sees what the write has done so far. */
export function transactionReader(tx: Prisma.TransactionClient): SqlReader {
  return { query: <Row>(sql: string, params: readonly unknown[] = []) => tx.$queryRawUnsafe<Row[]>(sql, ...params) };
}

/** One entry of a component's `dependencies`: by name and range, or pinned by uuid. */
export interface Declaration {
  /** The component that declares it. */
  readonly from: string;
  readonly position: number;
  readonly name: string | null;
  readonly versionSpec: string | null;
  readonly uuid: string | null;
}


// Candidate columns in the order of LevelRow's summary fields: whole summaries, or only what resolution
// needs (the rest left null) when the caller will show no more of its nodes than uuid, name and version.
const CANDIDATE_COLUMNS = `c.version, c.version_key, c.type::text, c.lifecycle::text, c.description, c.owner, c.tags,
  c.revision, c.created_at, c.updated_at`;
const THIN_CANDIDATE_COLUMNS = `c.version, NULL, NULL, c.lifecycle::text, NULL, NULL, NULL, NULL, NULL, NULL`;

export interface Level {
  readonly declarations: Declaration[];
  /**
   * Every row that could resolve them: the non-retired versions of each name, and each pinned uuid. With
   * summaries, each is a component without its document; without, only uuid, name, version and lifecycle
   * are filled in.
   */
  readonly candidates: ComponentSummary[];
  /** The names whose non-retired versions are all among the candidates (those named by a declaration). */
  readonly names: ReadonlySet<string>;
}

// A declaration's row leaves the candidate columns null, and a candidate's the declaration's.
type LevelRow = Omit<Declaration, 'from'> & { [K in keyof Omit<ComponentSummary, 'uuid' | 'name'>]: ComponentSummary[K] | null } & {
  declared: boolean;
  from: number | null;
  byName: boolean | null;
};

/**
 * One level of a walk towards dependencies, in one statement: the declarations of `uuids` (declared = true,
 * `from` the 1-based position in `uuids`), returned in frontier order, and their candidates (declared =
 * false, the candidate's uuid and name in those columns). The graph walk now reads whole graphs in one statement
 * (graph-walk.ts); bench/growth.ts still measures this per-level statement as the index-probe figure of its growth table.
 */
export async function levelFrom(db: SqlReader, uuids: readonly string[], summaries = true): Promise<Level> {
  if (uuids.length === 0) return { declarations: [], candidates: [], names: new Set() };
  const candidateColumns = summaries ? CANDIDATE_COLUMNS : THIN_CANDIDATE_COLUMNS;
  // Written as joins the planner can drive from the frontier through the indexes: an OR of subqueries, or
  // `= ANY` on a large array, would scan both tables once per level.
  const rows = await db.query<LevelRow>(
    `WITH d AS MATERIALIZED (
       SELECT f.ordinal, d.position, d.dependency_name, d.version_spec, d.dependency_uuid
         FROM unnest($1::uuid[]) WITH ORDINALITY AS f(uuid, ordinal)
         JOIN component_dependencies d ON d.component_uuid = f.uuid)
     SELECT true AS declared, ordinal::int AS "from", position, dependency_name AS name, version_spec AS "versionSpec",
            dependency_uuid::text AS uuid, NULL::text AS version, NULL::text AS "versionKey", NULL::text AS type,
            NULL::text AS lifecycle, NULL::text AS description, NULL::text AS owner, NULL::text[] AS tags,
            NULL::int AS revision, NULL::timestamptz AS "createdAt", NULL::timestamptz AS "updatedAt", NULL::boolean AS "byName"
       FROM d
     UNION ALL
     SELECT false, NULL, NULL, c.name, NULL, c.uuid::text, ${candidateColumns}, true
       FROM (SELECT DISTINCT dependency_name FROM d WHERE dependency_name IS NOT NULL) n
       JOIN components c ON c.name = n.dependency_name AND c.lifecycle <> 'RETIRED'
     UNION ALL
     SELECT false, NULL, NULL, c.name, NULL, c.uuid::text, ${candidateColumns}, false
       FROM (SELECT DISTINCT dependency_uuid FROM d WHERE dependency_uuid IS NOT NULL) p
       JOIN components c ON c.uuid = p.dependency_uuid`,
    [uuids],
  );
  const declared: LevelRow[] = [];
  const candidates: ComponentSummary[] = [];
  const names = new Set<string>();
  for (const row of rows) {
    if (row.declared) {
      declared.push(row);
    } else {
      if (row.byName) names.add(row.name!);
      const { uuid, name, version, versionKey, type, lifecycle, description, owner, tags, revision, createdAt, updatedAt } = row;
      candidates.push({ uuid: uuid!, name: name!, version: version!, versionKey, type, lifecycle: lifecycle!, description, owner, tags, revision, createdAt, updatedAt });
    }
  }
  // In frontier order, then as each component lists them: sorted here on integers, cheaper than in SQL.
  declared.sort((a, b) => a.from! - b.from! || a.position - b.position);
  const declarations = declared.map((row): Declaration => ({
    from: uuids[row.from! - 1]!,
    position: row.position,
    name: row.name,
    versionSpec: row.versionSpec,
    uuid: row.uuid,
  }));
  return { declarations, candidates, names };
}
