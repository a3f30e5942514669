import semver from 'semver';
import type { SqlSession } from '../db/database.js';
import { COMPONENT_COLUMNS, type Component } from './component-row.js';
import type { RegistryContext } from './context.js';
import { WouldStrandDependentsError } from './errors.js';
import { GRAPH_LIMITS } from './graph.js';
import { resolveRange } from './ranges.js';
import { declarationsNaming, resolvedUuid } from './resolve-sql.js';

export type ImpactKind = 'MOVED' | 'RESOLVED' | 'STRANDED';

/** One declared dependency whose resolution a write changes. */
export interface ImpactEdge {
  /** The component that declares it. */
  readonly dependent: Component;
  /** Its place among the dependent's declarations. */
  readonly position: number;
  /** The range declared; for a dependency pinned by uuid, that uuid. */
  readonly versionSpec: string;
  /** What it resolved to before the write and after it, null for nothing. */
  readonly before: Component | null;
  readonly after: Component | null;
  readonly kind: ImpactKind;
}

/** What a write changes (or, dry, would change) in the resolution of everything that declares what it wrote. */
export interface Impact {
  /** Ordered by dependent name, version and declaration. */
  readonly edges: readonly ImpactEdge[];
  readonly moved: number;
  readonly resolved: number;
  readonly stranded: number;
  /** The dependents, not themselves retired, left with a dependency nothing satisfies (uuid and name@version). */
  readonly strandedLive: ReadonlyArray<{ readonly uuid: string; readonly label: string }>;
}

export const NO_IMPACT: Impact = { edges: [], moved: 0, resolved: 0, stranded: 0, strandedLive: [] };

/** What a write did to a component, as impactOf needs it. */
export interface WrittenEntry {
  readonly uuid: string;
  readonly name: string;
  /** True for a registration of a new uuid: before the write, nothing of it existed. */
  readonly isNew: boolean;
  /** For an update, the component as it stood before. */
  readonly base?: Component;
}

/** How many of the dependents a strand refusal names. */
export const STRANDED_NAMED = 20;

interface Candidates {
  /** [dependent, position, name, versionSpec, pinned uuid, dependent's name, version and lifecycle] */
  readonly declarations: Array<[string, number, string | null, string | null, string | null, string, string, string]>;
  /** [uuid, name, version, lifecycle] of every version of the written names. */
  readonly versions: Array<[string, string, string, string]>;
}

// Every declaration outside the write that could resolve to a written entry (by its name or pinned to its uuid),
// and every version of the written names: what the resolutions before and after the write are computed from. Run
// after the write's statement, inside its transaction, so the order lock is held and nothing else commits meanwhile.
const CANDIDATES_SQL = `
  SELECT json_build_object(
    'declarations', (SELECT coalesce(json_agg(json_build_array(d.component_uuid, d.position, d.dependency_name, d.version_spec,
                                                 d.dependency_uuid, dc.name, dc.version, dc.lifecycle)), '[]')
       FROM (SELECT * FROM component_dependencies WHERE dependency_name = ANY($1::text[])
             UNION
             SELECT * FROM component_dependencies WHERE dependency_uuid = ANY($2::uuid[])) d
       JOIN components dc ON dc.uuid = d.component_uuid
      WHERE d.component_uuid <> ALL ($2::uuid[])),
    'versions', (SELECT coalesce(json_agg(json_build_array(uuid, name, version, lifecycle)), '[]')
       FROM components WHERE name = ANY($1::text[]))) AS candidates`;

const ROWS_SQL = `SELECT ${COMPONENT_COLUMNS.sql} FROM components WHERE uuid = ANY($1::uuid[])`;

interface Version {
  readonly uuid: string;
  readonly version: string;
  readonly lifecycle: string;
}

function kindOf(before: string | null, after: string | null): ImpactKind {
  if (before === null) return 'RESOLVED';
  return after === null ? 'STRANDED' : 'MOVED';
}

/**
 * The resolutions a write changed, read inside its transaction after its statement (the order lock held): the
 * state after is what the database holds now, the state before the same with the write undone (new entries
 * absent, updated ones as they stood). Resolution is the registry's one rule (resolveRange), over the versions
 * of each written name, which are all a range declared by name can choose from.
 */
export async function impactOf(tx: SqlSession, written: readonly WrittenEntry[], detail: boolean): Promise<Impact> {
  const names = [...new Set(written.map((entry) => entry.name))];
  const uuids = written.map((entry) => entry.uuid);
  const [{ candidates }] = (await tx.query<{ candidates: Candidates }>(CANDIDATES_SQL, [names, uuids])) as [{ candidates: Candidates }];
  const isNew = new Set(written.filter((entry) => entry.isNew).map((entry) => entry.uuid));
  const bases = new Map(written.flatMap((entry) => (entry.base ? [[entry.uuid, entry.base] as const] : [])));

  const after = new Map<string, Version[]>();
  const before = new Map<string, Version[]>();
  for (const [uuid, name, version, lifecycle] of candidates.versions) {
    const list = (map: Map<string, Version[]>) => map.get(name) ?? map.set(name, []).get(name)!;
    list(after).push({ uuid, version, lifecycle });
    if (!isNew.has(uuid)) list(before).push({ uuid, version, lifecycle: bases.get(uuid)?.lifecycle ?? lifecycle });
  }
  // Many dependents share a range: each (name, range) is resolved once per side.
  const memo = new Map<string, string | null>();
  const choose = (side: 'before' | 'after', name: string, spec: string) => {
    const key = `${side}\u0000${name}\u0000${spec}`;
    if (!memo.has(key)) {
      // A stored range node-semver refuses resolves to nothing, as it does in the database.
      const versions = (side === 'before' ? before : after).get(name) ?? [];
      memo.set(key, semver.validRange(spec) === null ? null : (resolveRange(versions, spec)?.uuid ?? null));
    }
    return memo.get(key)!;
  };

  const changed: Array<{ dependent: string; position: number; versionSpec: string; before: string | null; after: string | null; label: string; retired: boolean }> = [];
  for (const [dependent, position, name, spec, pinned, dependentName, dependentVersion, lifecycle] of candidates.declarations) {
    const wasThere = pinned !== null ? (isNew.has(pinned) ? null : pinned) : choose('before', name!, spec ?? '*');
    const isThere = pinned !== null ? pinned : choose('after', name!, spec ?? '*');
    if (wasThere === isThere) continue;
    changed.push({
      dependent, position, versionSpec: pinned ?? spec ?? '', before: wasThere, after: isThere,
      label: `${dependentName}@${dependentVersion}`, retired: lifecycle === 'RETIRED',
    });
  }
  changed.sort((a, b) => a.label.localeCompare(b.label) || a.dependent.localeCompare(b.dependent) || a.position - b.position);
  const kinds = changed.map((edge) => kindOf(edge.before, edge.after));
  const strandedLive = new Map<string, string>();
  changed.forEach((edge, index) => {
    if (kinds[index] === 'STRANDED' && !edge.retired) strandedLive.set(edge.dependent, edge.label);
  });
  const counts = countsOf(kinds);
  const live = [...strandedLive].map(([uuid, label]) => ({ uuid, label }));
  if (!detail) return { edges: [], ...counts, strandedLive: live };

  // Whole rows, read through the driver in the write's transaction: the dependents, and what the edges resolve to
  // (as they are now, and for updated entries as they were).
  const referenced = [...new Set(changed.flatMap((edge) => [edge.dependent, edge.before, edge.after]).filter((uuid): uuid is string => uuid !== null))];
  const rows = new Map((await tx.query<Component>(ROWS_SQL, [referenced])).map((row) => [row.uuid, row]));
  const rowBefore = (uuid: string | null) => (uuid === null ? null : (bases.get(uuid) ?? rows.get(uuid) ?? null));
  const rowAfter = (uuid: string | null) => (uuid === null ? null : (rows.get(uuid) ?? null));
  const edges = changed.map(({ label: _label, retired: _retired, ...edge }, index): ImpactEdge => ({
    ...edge,
    dependent: rows.get(edge.dependent)!,
    kind: kinds[index]!,
    before: rowBefore(edge.before),
    after: rowAfter(edge.after),
  }));
  return { edges, ...counts, strandedLive: live };
}

/** How many changes of each kind. */
function countsOf(kinds: readonly ImpactKind[]): Pick<Impact, 'moved' | 'resolved' | 'stranded'> {
  const counts = { moved: 0, resolved: 0, stranded: 0 };
  for (const kind of kinds) counts[kind.toLowerCase() as keyof typeof counts] += 1;
  return counts;
}

function summed(edges: readonly ImpactEdge[], strandedLive: Impact['strandedLive']): Impact {
  return { edges, ...countsOf(edges.map((edge) => edge.kind)), strandedLive };
}

/** Refuses an impact that strands live dependents, naming the first of them and how many there are. */
export function assertStrandsNothing(impact: Impact): void {
  if (impact.strandedLive.length === 0) return;
  const first = impact.strandedLive.slice(0, STRANDED_NAMED);
  throw new WouldStrandDependentsError(first.map((entry) => entry.uuid), impact.strandedLive.length, first.map((entry) => entry.label));
}

/** The part of an impact about one written entry: the edges that resolved to it before or resolve to it after. */
export function impactOn(impact: Impact, uuid: string): Impact {
  const edges = impact.edges.filter((edge) => edge.before?.uuid === uuid || edge.after?.uuid === uuid);
  const dependents = new Set(edges.map((edge) => edge.dependent.uuid));
  return summed(edges, impact.strandedLive.filter((entry) => dependents.has(entry.uuid)));
}

// The transitive dependents of a set of components, each level found by the names and uuids of the one before and
// kept where the declaration resolves to the component it was found from (as the graph's walk towards dependents).
// Without a depth bound rows carry no depth, so UNION reads each component once.
const AFFECTED_SQL = `
  WITH RECURSIVE up(uuid, name, depth) AS (
    SELECT uuid, name, 1 FROM components WHERE uuid = ANY($1::uuid[])
    UNION
    SELECT d.component_uuid, dc.name, CASE WHEN $2::int IS NULL THEN 1 ELSE u.depth + 1 END
      FROM (SELECT DISTINCT uuid, name, depth FROM up WHERE $2::int IS NULL OR depth < $2::int) u
      ${declarationsNaming('u.uuid', 'u.name', 'd')}
      JOIN components dc ON dc.uuid = d.component_uuid
     WHERE ${resolvedUuid('d')} = u.uuid
  ),
  reached AS (SELECT DISTINCT uuid FROM (SELECT uuid FROM up LIMIT $3) capped)
  SELECT c.uuid::text AS uuid FROM reached r JOIN components c ON c.uuid = r.uuid ORDER BY c.name, c.version_key DESC, c.uuid`;

/**
 * Everything an impact touches, transitively: the dependents whose declarations it changes (depth 1), what depends
 * on them (depth 2), and so on up to `maxDepth` (null: the whole closure), read as the registry stands now, by
 * name and then newest version first.
 */
export async function affectedBy(ctx: RegistryContext, impact: Impact, maxDepth: number | null): Promise<string[]> {
  const roots = [...new Set(impact.edges.map((edge) => edge.dependent.uuid))];
  if (roots.length === 0 || maxDepth === 0) return [];
  const rows = await ctx.db.query<{ uuid: string }>(AFFECTED_SQL, [roots, maxDepth, GRAPH_LIMITS.maxNodes]);
  return rows.map((row) => row.uuid);
}
