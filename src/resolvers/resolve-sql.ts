/**
 * Which registry a resolution reads, as SQL conditions on its rows (the present by default): as-of.ts resolves
 * against the registry as it stood at an instant with the same expression.
 */
export interface ResolutionState {
  /** Whether candidate row `c` may be chosen by a range; by default, it is not retired now. */
  readonly admitted?: (c: string) => string;
  /** What else a pinned row `p` must satisfy to count, beside existing now. */
  readonly pinned?: (p: string) => string;
  /** The comparator sets of the range text `spec` (version_spec, lower_key, upper_key, prerelease_cores); by default version_range_sets. */
  readonly rangeSets?: (spec: string) => string;
}

/**
 * The registry's one rule for choosing a version (resolveRange in ranges.ts), as SQL over the compiled ranges of
 * prisma/migrations/20261201000000_compiled_ranges: for a declaration, its pinned entry when it exists (even
 * retired), or the highest non-retired version of its name inside one of its range's comparator sets, a
 * prerelease only on a core its set names. Each set is one scan of the (name, version_key) index, from the top of
 * the set down, that stops at the first row it keeps. Versions that differ only in build metadata share a key and
 * tie, as they do for semver.maxSatisfying, whose pick among them follows the order it is given.
 *
 * `d` is the alias of a row with dependency_name, version_spec and dependency_uuid, and lower_key, upper_key and
 * prerelease_cores: a one-set range compiled onto a component_dependencies row, or nulls (then the range is read
 * from version_range_sets). The expression is the uuid chosen, null when nothing satisfies the declaration.
 */
export function resolvedUuid(d: string, at: ResolutionState = {}): string {
  const admitted = at.admitted?.('c') ?? `c.lifecycle <> 'RETIRED'`;
  const admits = (set: string) =>
    `c.version_key >= ${set}.lower_key AND c.version_key < ${set}.upper_key AND ${admitted}
        AND (right(c.version_key, 1) = '~' OR left(c.version_key, 50) = ANY (${set}.prerelease_cores))`;
  const pinnedHolds = at.pinned ? ` AND ${at.pinned('pinned')}` : '';
  return `CASE
      WHEN ${d}.dependency_uuid IS NOT NULL THEN (SELECT pinned.uuid FROM components pinned WHERE pinned.uuid = ${d}.dependency_uuid${pinnedHolds})
      WHEN ${d}.upper_key IS NOT NULL THEN (
        SELECT c.uuid FROM components c WHERE c.name = ${d}.dependency_name AND ${admits(d)}
         ORDER BY c.version_key DESC LIMIT 1)
      ELSE (
        SELECT best.uuid FROM ${at.rangeSets?.(`${d}.version_spec`) ?? 'version_range_sets'} s CROSS JOIN LATERAL (
          SELECT c.uuid, c.version_key FROM components c WHERE c.name = ${d}.dependency_name AND ${admits('s')}
           ORDER BY c.version_key DESC LIMIT 1) best
         WHERE s.version_spec = ${d}.version_spec
         ORDER BY best.version_key DESC LIMIT 1)
    END`;
}

/** Columns that make a row of only (dependency_name, version_spec, dependency_uuid) fit resolvedUuid. */
export const UNCOMPILED = `NULL::text AS lower_key, NULL::text AS upper_key, NULL::text[] AS prerelease_cores`;

/**
 * The declarations that could resolve to a component, pinned to its uuid or naming its name: a CROSS JOIN LATERAL
 * adding them as `alias`, each branch one index probe (an OR of the two would scan). `uuid` and `name` are SQL
 * expressions for the component's.
 */
export function declarationsNaming(uuid: string, name: string, alias: string): string {
  return `CROSS JOIN LATERAL (
      SELECT * FROM component_dependencies WHERE dependency_uuid = ${uuid}
      UNION ALL
      SELECT * FROM component_dependencies WHERE dependency_name = ${name}) ${alias}`;
}
