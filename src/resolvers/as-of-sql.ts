import { resolvedUuid } from './resolve-sql.js';

// The statements behind as-of.ts: the registry as it stood at an instant T, read from the current rows and the
// revision history. A component whose updated_at is at or before T has not changed since (updated_at is the `at`
// of its latest revision: the write function sets both from one transaction's clock), so its current row, its
// declarations in component_dependencies and their compiled ranges are its state at T, and it costs no more than in
// a walk of the present. Only a component changed after T is read from component_revisions: its latest revision at
// or before T (none: it was not registered yet), probed by primary key from the newest down. Ranges of past
// declarations resolve through version_range_sets, or are compiled on the spot when no declaration stored them.

/** The last revision at or before T of the component `uuid`, only when `changed` (a condition of the outer row). */
const revisionAt = (uuid: string, changed: string, T: string, columns: string) =>
  `(SELECT ${columns} FROM component_revisions r WHERE ${changed} AND r.component_uuid = ${uuid} AND r.at <= ${T}
     ORDER BY r.revision DESC LIMIT 1)`;

/** Whether components row `c` was registered at T. */
const existedAt = (c: string, T: string) =>
  `(${c}.updated_at <= ${T} OR EXISTS (SELECT 1 FROM component_revisions r WHERE r.component_uuid = ${c}.uuid AND r.at <= ${T}))`;

/** Whether components row `c` existed at T and was not retired then: a range may choose it. */
const admittedAt = (c: string, T: string) =>
  `(CASE WHEN ${c}.updated_at <= ${T} THEN ${c}.lifecycle <> 'RETIRED'
         ELSE ${revisionAt(`${c}.uuid`, 'true', T, `r.document->>'lifecycle'`)} <> 'retired' END)`;

/** The comparator sets of the range `spec`: as stored, or compiled now when no declaration ever stored it. */
const setsOf = (spec: string) => `(
    SELECT v.version_spec, v.lower_key, v.upper_key, v.prerelease_cores FROM version_range_sets v WHERE v.version_spec = ${spec}
    UNION ALL
    SELECT ${spec}, compiled.lower_key COLLATE "C", compiled.upper_key COLLATE "C", compiled.prerelease_cores::text[] COLLATE "C"
      FROM registry_compile_range(${spec}) compiled
     WHERE NOT EXISTS (SELECT 1 FROM version_range_sets v WHERE v.version_spec = ${spec}))`;

/**
 * resolvedUuid (resolve-sql.ts) at T: for declaration row `d`, the pinned entry if it existed then, or the highest
 * version of the name inside the range that existed then and was not retired then. Null when nothing satisfied it.
 */
const resolvedAt = (d: string, T: string) =>
  resolvedUuid(d, { admitted: (c) => admittedAt(c, T), pinned: (p) => existedAt(p, T), rangeSets: setsOf });

const NO_KEYS = `NULL::text COLLATE "C", NULL::text COLLATE "C", NULL::text[] COLLATE "C"`;

/**
 * The declarations component `uuid` had at T, when `unchanged` says whether it is unchanged since: its rows in
 * component_dependencies, or the `dependencies` of its revision then.
 */
const declarationsAt = (uuid: string, unchanged: string, T: string) => `
    SELECT cd.position, cd.dependency_name, cd.version_spec, cd.dependency_uuid, cd.lower_key, cd.upper_key, cd.prerelease_cores
      FROM component_dependencies cd WHERE ${unchanged} AND cd.component_uuid = ${uuid}
    UNION ALL
    SELECT (e.n - 1)::int, e.value->>'name', e.value->>'version_spec', (e.value->>'uuid')::uuid, ${NO_KEYS}
      FROM ${revisionAt(uuid, `NOT ${unchanged}`, T, 'r.document')} h
      CROSS JOIN LATERAL jsonb_array_elements(coalesce(h.document->'dependencies', '[]'::jsonb)) WITH ORDINALITY AS e(value, n)`;

/**
 * The declarations at T of every component changed since T that existed then, with the declarer's name: what a
 * walk towards dependents cannot find through component_dependencies, which holds current declarations only.
 */
const PAST_DECLARATIONS = (T: string) => `past_declarations AS MATERIALIZED (
    SELECT c.uuid AS component_uuid, c.name AS component_name, (e.n - 1)::int AS position, e.value->>'name' AS dependency_name,
           e.value->>'version_spec' AS version_spec, (e.value->>'uuid')::uuid AS dependency_uuid
      FROM components c
      CROSS JOIN LATERAL ${revisionAt('c.uuid', 'true', T, 'r.document')} h
      CROSS JOIN LATERAL jsonb_array_elements(coalesce(h.document->'dependencies', '[]'::jsonb)) WITH ORDINALITY AS e(value, n)
     WHERE c.updated_at > ${T})`;

/**
 * The declarations at T naming component `uuid` (by pin) or `name` (by range), as alias `d` with the declarer's
 * component_uuid and component_name (read here: joined outside, the planner scans every component per level).
 */
const declarationsNamingAt = (uuid: string, name: string, T: string) => `CROSS JOIN LATERAL (
      SELECT cd.component_uuid, dc.name AS component_name, cd.position, cd.dependency_name, cd.version_spec, cd.dependency_uuid, cd.lower_key,
             cd.upper_key, cd.prerelease_cores
        FROM component_dependencies cd JOIN components dc ON dc.uuid = cd.component_uuid
       WHERE cd.dependency_uuid = ${uuid} AND dc.updated_at <= ${T}
      UNION ALL
      SELECT cd.component_uuid, dc.name, cd.position, cd.dependency_name, cd.version_spec, cd.dependency_uuid, cd.lower_key, cd.upper_key, cd.prerelease_cores
        FROM component_dependencies cd JOIN components dc ON dc.uuid = cd.component_uuid
       WHERE cd.dependency_name = ${name} AND dc.updated_at <= ${T}
      UNION ALL
      SELECT p.component_uuid, p.component_name, p.position, p.dependency_name, p.version_spec, p.dependency_uuid, ${NO_KEYS}
        FROM past_declarations p WHERE p.dependency_uuid = ${uuid} OR p.dependency_name = ${name}) d`;

/** A component's fields at T, for row `c` joined with `h`, its revision then (null when unchanged since). */
const fieldAt = (current: string, fromDocument: string) => `CASE WHEN h.revision IS NULL THEN ${current} ELSE ${fromDocument} END`;

/** The walk's JSON output, as graph-walk.ts gives it, every node whole and as it stood at T ($4). */
const OUTPUT = `
  SELECT
    (SELECT coalesce(json_agg(json_build_array(e.from_uuid, e.position, e.to_uuid, e.version_spec,
              CASE WHEN e.to_uuid IS NULL THEN (
                SELECT json_build_array(x.dependency_name, x.dependency_uuid)
                  FROM components fc CROSS JOIN LATERAL (${declarationsAt('fc.uuid', 'fc.updated_at <= $4::timestamptz', '$4::timestamptz')}) x
                 WHERE fc.uuid = e.from_uuid AND x.position = e.position) END)), '[]')
       FROM (SELECT DISTINCT from_uuid, position, to_uuid, version_spec FROM read WHERE from_uuid IS NOT NULL) e) AS edges,
    (SELECT coalesce(json_agg(json_build_array(c.uuid, c.name, c.version,
              ${fieldAt('c.lifecycle::text', `upper(h.document->>'lifecycle')`)}, c.version_key,
              ${fieldAt('c.type::text', `upper(h.document->>'type')`)},
              ${fieldAt('c.description', `h.document->>'description'`)},
              ${fieldAt('c.owner', `h.document->>'owner'`)},
              ${fieldAt('to_jsonb(c.tags)', `coalesce(h.document->'tags', '[]'::jsonb)`)},
              ${fieldAt('c.revision', 'h.revision')}, c.created_at, ${fieldAt('c.updated_at', 'h.at')})), '[]')
       FROM (SELECT DISTINCT reached FROM read) n JOIN components c ON c.uuid = n.reached
       LEFT JOIN LATERAL ${revisionAt('c.uuid', 'c.updated_at > $4::timestamptz', '$4::timestamptz', 'r.revision, r.document, r.at')} h ON true) AS nodes,
    (SELECT count(*) >= $3 FROM read) AS capped`;

// As in graph-walk.ts: without a depth bound ($2) rows carry no depth and UNION reads each declaration once.
const STEP_DEPTH = `CASE WHEN $2::int IS NULL THEN 0 ELSE f.depth + 1 END`;
const EXPANDS = `($2::int IS NULL OR depth <= $2::int)`;
const T = '$4::timestamptz';

// $1 root, $2 depth bound or null, $3 row cap, $4 the instant.
const WALK_DEPENDENCIES = `
  WITH RECURSIVE walk(from_uuid, position, to_uuid, depth, version_spec) AS (
    SELECT NULL::uuid, NULL::int, c.uuid, 0, NULL::text FROM components c WHERE c.uuid = $1::uuid AND ${existedAt('c', T)}
    UNION
    SELECT f.to_uuid, d.position, ${resolvedAt('d', T)}, ${STEP_DEPTH}, d.version_spec
      FROM (SELECT DISTINCT to_uuid, depth FROM walk WHERE to_uuid IS NOT NULL AND ${EXPANDS}) f
      JOIN components fc ON fc.uuid = f.to_uuid
      CROSS JOIN LATERAL (${declarationsAt('f.to_uuid', `fc.updated_at <= ${T}`, T)} OFFSET 0) d
  ),
  read AS MATERIALIZED (SELECT from_uuid, position, to_uuid, to_uuid AS reached, version_spec FROM walk LIMIT $3)
  ${OUTPUT}`;

const WALK_DEPENDENTS = `
  WITH RECURSIVE ${PAST_DECLARATIONS(T)},
  walk(from_uuid, position, to_uuid, reached, reached_name, depth, version_spec) AS (
    SELECT NULL::uuid, NULL::int, NULL::uuid, c.uuid, c.name, 0, NULL::text FROM components c WHERE c.uuid = $1::uuid AND ${existedAt('c', T)}
    UNION
    SELECT d.component_uuid, d.position, f.reached, d.component_uuid, d.component_name, ${STEP_DEPTH}, d.version_spec
      FROM (SELECT DISTINCT reached, reached_name, depth FROM walk WHERE ${EXPANDS}) f
      ${declarationsNamingAt('f.reached', 'f.reached_name', T)}
     WHERE ${resolvedAt('d', T)} = f.reached
  ),
  read AS MATERIALIZED (SELECT from_uuid, position, to_uuid, reached, version_spec FROM walk LIMIT $3)
  ${OUTPUT}`;

/** $1 uuids, $2 the instant: each component registered then, its current columns when unchanged since, else its revision then. */
const COMPONENT_STATES = `
  SELECT c.uuid::text AS uuid, c.name, c.version, c.version_key AS "versionKey", c.created_at AS "createdAt",
         h.revision IS NULL AS unchanged, c.type::text AS type, c.lifecycle::text AS lifecycle, c.description, c.owner, c.tags,
         CASE WHEN h.revision IS NULL THEN c.document ELSE h.document END AS document,
         coalesce(h.revision, c.revision) AS revision, coalesce(h.at, c.updated_at) AS "updatedAt"
    FROM components c
    LEFT JOIN LATERAL ${revisionAt('c.uuid', 'c.updated_at > $2::timestamptz', '$2::timestamptz', 'r.revision, r.document, r.at')} h ON true
   WHERE c.uuid = ANY ($1::uuid[]) AND (c.updated_at <= $2::timestamptz OR h.revision IS NOT NULL)`;

/** $1 a name, $2 the instant: every version of the name registered then, with its lifecycle then. */
const VERSIONS_OF_NAME = `
  SELECT c.uuid::text AS uuid, c.version, CASE WHEN h.revision IS NULL THEN c.lifecycle::text ELSE upper(h.lifecycle) END AS lifecycle
    FROM components c
    LEFT JOIN LATERAL ${revisionAt('c.uuid', 'c.updated_at > $2::timestamptz', '$2::timestamptz', `r.revision, r.document->>'lifecycle' AS lifecycle`)} h ON true
   WHERE c.name = $1 AND (c.updated_at <= $2::timestamptz OR h.revision IS NOT NULL)`;

/** $1 names, $2 ranges, $3 pins, $4 the instant: the uuid each declaration resolved to then, where one did. */
const RESOLVE_DECLARATIONS = `
  SELECT ordinal, uuid FROM (
    SELECT k.ordinal::int AS ordinal, (${resolvedAt('k', T)})::text AS uuid
      FROM (SELECT k0.*, NULL::text COLLATE "C" AS lower_key, NULL::text COLLATE "C" AS upper_key, NULL::text[] COLLATE "C" AS prerelease_cores
              FROM unnest($1::text[], $2::text[], $3::uuid[]) WITH ORDINALITY AS k0(dependency_name, version_spec, dependency_uuid, ordinal)) k
  ) resolved WHERE uuid IS NOT NULL ORDER BY ordinal`;

/** $1 uuids, $2 their names, $3 the instant: for each, the components whose declarations resolved to it then. */
const DEPENDENTS = `
  WITH ${PAST_DECLARATIONS('$3::timestamptz')}
  SELECT DISTINCT ON (t.ordinal, dc.name, dc.version_key, dc.uuid) t.ordinal::int AS ordinal, dc.uuid::text AS uuid
    FROM unnest($1::uuid[], $2::text[]) WITH ORDINALITY AS t(uuid, name, ordinal)
    ${declarationsNamingAt('t.uuid', 't.name', '$3::timestamptz')}
    JOIN components dc ON dc.uuid = d.component_uuid
   WHERE ${resolvedAt('d', '$3::timestamptz')} = t.uuid
   ORDER BY t.ordinal, dc.name, dc.version_key DESC, dc.uuid`;

export const asOfSql = {
  walkDependencies: WALK_DEPENDENCIES,
  walkDependents: WALK_DEPENDENTS,
  componentStates: COMPONENT_STATES,
  versionsOfName: VERSIONS_OF_NAME,
  resolveDeclarations: RESOLVE_DECLARATIONS,
  dependents: DEPENDENTS,
} as const;
