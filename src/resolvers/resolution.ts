import type { Prisma } from '../generated/prisma/client.js';
import type { ComponentSummary } from './component-row.js';
import { InvalidVersionSpecError } from './errors.js';
import { resolveRange, type Candidate } from './ranges.js';

/** Reads with plain SQL and positional parameters: the driver directly, or the transaction of a write. */
export interface SqlReader {
  query<Row>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
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

export interface CandidateRow extends Candidate {
  readonly uuid: string;
  readonly name: string;
}

const DECLARATION_COLUMNS = `component_uuid::text AS "from", position, dependency_name AS name,
  version_spec AS "versionSpec", dependency_uuid::text AS uuid`;

// A component's summary (all but its document) under the names the generated client uses.
const SUMMARY_COLUMNS = `c.uuid::text AS uuid, c.name, c.version, c.version_key AS "versionKey", c.type::text AS type,
  c.lifecycle::text AS lifecycle, c.description, c.owner, c.tags, c.revision, c.created_at AS "createdAt",
  c.updated_at AS "updatedAt"`;

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
 * false, the candidate's uuid and name in those columns).
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

/** The declarations that could resolve to these components: pinned to their uuids, or naming their names. */
export async function declarationsTowards(db: SqlReader, uuids: readonly string[], names: readonly string[]): Promise<Declaration[]> {
  if (uuids.length === 0) return [];
  return db.query<Declaration>(
    `SELECT ${DECLARATION_COLUMNS} FROM component_dependencies
      WHERE dependency_uuid = ANY($1::uuid[]) OR dependency_name = ANY($2::text[])
      ORDER BY component_uuid, position`,
    [uuids, [...new Set(names)]],
  );
}

/** The summaries of these components, in no particular order. */
export async function summariesOf(db: SqlReader, uuids: readonly string[]): Promise<ComponentSummary[]> {
  if (uuids.length === 0) return [];
  return db.query<ComponentSummary>(`SELECT ${SUMMARY_COLUMNS} FROM components c WHERE c.uuid = ANY($1::uuid[])`, [uuids]);
}

/**
 * Resolves declarations the way the registry always does (resolveRange: highest satisfying, never retired;
 * a pinned uuid resolves when it exists). Candidates are loaded in one query per batch of declarations and
 * remembered for the rest of the operation, as are the answers for each (name, range).
 */
export class DependencyResolver {
  private readonly candidates = new Map<string, CandidateRow[]>();
  private readonly pinned = new Map<string, CandidateRow>();
  /** Answers by name, then by range. */
  private readonly answers = new Map<string, Map<string, string | null>>();

  constructor(private readonly db: SqlReader) {}

  /** Loads what resolving these declarations needs and is not known yet: one query, or none. */
  async prepare(declarations: readonly Declaration[]): Promise<void> {
    const names = new Set<string>();
    const uuids = new Set<string>();
    for (const declaration of declarations) {
      if (declaration.uuid !== null) {
        if (!this.pinned.has(declaration.uuid)) uuids.add(declaration.uuid);
      } else if (declaration.name !== null && !this.candidates.has(declaration.name)) {
        names.add(declaration.name);
      }
    }
    if (names.size === 0 && uuids.size === 0) return;
    const rows = await this.db.query<CandidateRow>(
      `SELECT uuid::text AS uuid, name, version, lifecycle::text AS lifecycle
         FROM components
        WHERE (name = ANY($1::text[]) AND lifecycle <> 'RETIRED') OR uuid = ANY($2::uuid[])`,
      [[...names], [...uuids]],
    );
    this.remember(rows, names);
  }

  /**
   * Adds rows loaded elsewhere (full component rows do too) as the candidates of the given names: all of
   * each name's non-retired versions must be among them. Names already known keep what they had.
   */
  remember(rows: readonly CandidateRow[], names: Iterable<string>): void {
    const fresh = new Set<string>();
    for (const name of names) {
      if (!this.candidates.has(name)) {
        this.candidates.set(name, []);
        fresh.add(name);
      }
    }
    for (const row of rows) {
      this.pinned.set(row.uuid, row);
      if (row.lifecycle !== 'RETIRED' && fresh.has(row.name)) this.candidates.get(row.name)!.push(row);
    }
  }

  /**
   * Adds the candidates of one level of a walk (levelFrom): a name its declarations use, met for the first
   * time, gets exactly its rows; one met before keeps its own. Rows there only because they are pinned
   * may be one version among several, so they count as pinned only.
   */
  rememberLevel({ candidates: rows, names }: Pick<Level, 'candidates' | 'names'>): void {
    const fresh = new Map<string, CandidateRow[]>();
    for (const row of rows) {
      this.pinned.set(row.uuid, row);
      if (row.lifecycle === 'RETIRED' || !names.has(row.name) || this.candidates.has(row.name)) continue;
      const list = fresh.get(row.name);
      if (list) list.push(row);
      else fresh.set(row.name, [row]);
    }
    for (const [name, list] of fresh) this.candidates.set(name, list);
  }

  /** The uuid a prepared declaration resolves to, or null when nothing satisfies it. */
  resolve(declaration: Pick<Declaration, 'name' | 'versionSpec' | 'uuid'>): string | null {
    if (declaration.uuid !== null) return this.pinned.has(declaration.uuid) ? declaration.uuid : null;
    const name = declaration.name ?? '';
    const range = declaration.versionSpec ?? '';
    let byRange = this.answers.get(name);
    if (!byRange) this.answers.set(name, (byRange = new Map()));
    let answer = byRange.get(range);
    if (answer === undefined) {
      answer = this.choose(name, range);
      byRange.set(range, answer);
    }
    return answer;
  }

  private choose(name: string, versionSpec: string): string | null {
    try {
      return resolveRange(this.candidates.get(name) ?? [], versionSpec)?.uuid ?? null;
    } catch (error) {
      // Ranges are validated on the way in; one stored some other way simply resolves to nothing.
      if (error instanceof InvalidVersionSpecError) return null;
      throw error;
    }
  }
}
