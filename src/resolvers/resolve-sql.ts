/**
 * The registry's one rule for choosing a version (resolveRange in ranges.ts), as SQL over the compiled ranges of
 * prisma/migrations/20261201000000_compiled_ranges: for a declaration, its pinned entry when it exists (even
 * retired), or the highest non-retired version of its name inside one of its range's comparator sets, a
 * prerelease only on a core its set names. Each set is one backward range scan of the (name, version_key) index
 * that stops at the first row it keeps. Ties between versions that differ only in build metadata go to the
 * higher version text, so the choice is the same on every engine.
 *
 * `declaration` is the alias of a row with dependency_name, version_spec and dependency_uuid; the fragment is a
 * LEFT JOIN LATERAL that adds `<alias>.uuid`, null when nothing satisfies the declaration.
 */
export function resolvedJoin(declaration: string, alias: string): string {
  return `LEFT JOIN LATERAL (
      SELECT pinned.uuid FROM components pinned WHERE pinned.uuid = ${declaration}.dependency_uuid
      UNION ALL
      (SELECT best.uuid FROM version_range_sets s
          CROSS JOIN LATERAL (
            SELECT c.uuid, c.version_key, c.version FROM components c
             WHERE c.name = ${declaration}.dependency_name AND c.version_key >= s.lower_key AND c.version_key < s.upper_key
               AND c.lifecycle <> 'RETIRED' AND (right(c.version_key, 1) = '~' OR left(c.version_key, 50) = ANY (s.prerelease_cores))
             ORDER BY c.version_key DESC, c.version COLLATE "C" DESC LIMIT 1) best
        WHERE s.version_spec = ${declaration}.version_spec
        ORDER BY best.version_key DESC, best.version COLLATE "C" DESC LIMIT 1)
    ) ${alias} ON true`;
}

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
