import type { Prisma } from '../generated/prisma/client.js';
import { InvalidVersionSpecError } from './errors.js';
import { resolveRange, type Candidate } from './ranges.js';

/** Anything that runs raw SQL: the client, or the transaction of a write. */
export type Queryable = Pick<Prisma.TransactionClient, '$queryRaw'>;

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

/**
 * One level of a walk towards dependencies in one statement: the declarations of these components, and
 * every row that could resolve them (the non-retired versions of each name, and each pinned uuid).
 */
export async function levelFrom(db: Queryable, uuids: readonly string[]): Promise<{ declarations: Declaration[]; candidates: CandidateRow[] }> {
  if (uuids.length === 0) return { declarations: [], candidates: [] };
  const rows = await db.$queryRaw<Array<Declaration & { declared: boolean; version: string; lifecycle: string }>>`
    WITH d AS MATERIALIZED (
      SELECT component_uuid, position, dependency_name, version_spec, dependency_uuid
        FROM component_dependencies WHERE component_uuid = ANY(${uuids}::uuid[]))
    SELECT true AS declared, component_uuid::text AS "from", position, dependency_name AS name,
           version_spec AS "versionSpec", dependency_uuid::text AS uuid, NULL::text AS version, NULL::text AS lifecycle
      FROM d
    UNION ALL
    SELECT false, NULL, NULL, c.name, NULL, c.uuid::text, c.version, c.lifecycle::text
      FROM components c
     WHERE (c.name IN (SELECT dependency_name FROM d) AND c.lifecycle <> 'RETIRED')
        OR c.uuid IN (SELECT dependency_uuid FROM d)`;
  const declarations: Declaration[] = [];
  const candidates: CandidateRow[] = [];
  for (const { declared, from, position, name, versionSpec, uuid, version, lifecycle } of rows) {
    if (declared) declarations.push({ from, position, name, versionSpec, uuid });
    else candidates.push({ uuid: uuid!, name: name!, version, lifecycle });
  }
  return { declarations, candidates };
}

/** The declarations that could resolve to these components: pinned to their uuids, or naming their names. */
export async function declarationsTowards(db: Queryable, uuids: readonly string[], names: readonly string[]): Promise<Declaration[]> {
  if (uuids.length === 0) return [];
  return db.$queryRaw<Declaration[]>`
    SELECT component_uuid::text AS "from", position, dependency_name AS name, version_spec AS "versionSpec",
           dependency_uuid::text AS uuid
      FROM component_dependencies
     WHERE dependency_uuid = ANY(${uuids}::uuid[]) OR dependency_name = ANY(${[...new Set(names)]}::text[])
     ORDER BY component_uuid, position`;
}

/**
 * Resolves declarations the way the registry always does (resolveRange: highest satisfying, never retired;
 * a pinned uuid resolves when it exists). Candidates are loaded in one query per batch of declarations and
 * remembered for the rest of the operation, as are the answers for each (name, range).
 */
export class DependencyResolver {
  private readonly candidates = new Map<string, CandidateRow[]>();
  private readonly pinned = new Map<string, CandidateRow>();
  private readonly answers = new Map<string, string | null>();

  constructor(private readonly db: Queryable) {}

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
    const rows = await this.db.$queryRaw<CandidateRow[]>`
      SELECT uuid::text AS uuid, name, version, lifecycle::text AS lifecycle
        FROM components
       WHERE (name = ANY(${[...names]}::text[]) AND lifecycle <> 'RETIRED') OR uuid = ANY(${[...uuids]}::uuid[])`;
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

  /** The uuid a prepared declaration resolves to, or null when nothing satisfies it. */
  resolve(declaration: Pick<Declaration, 'name' | 'versionSpec' | 'uuid'>): string | null {
    if (declaration.uuid !== null) return this.pinned.has(declaration.uuid) ? declaration.uuid : null;
    const key = `${declaration.name}\u0000${declaration.versionSpec}`;
    let answer = this.answers.get(key);
    if (answer === undefined) {
      answer = this.choose(declaration.name ?? '', declaration.versionSpec ?? '');
      this.answers.set(key, answer);
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
