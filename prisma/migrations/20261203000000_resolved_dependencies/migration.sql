-- Every declaration's resolution, kept as the registry changes, so that a graph walk follows stored edges instead of
-- resolving each range it meets (src/resolvers/graph-walk.ts): on a graph of ten thousand nodes the index scan that
-- resolves a declaration was two thirds of the walk.
--
-- One row per row of component_dependencies: what it resolves to now (null when nothing satisfies it), by the
-- registry's one rule (src/resolvers/resolve-sql.ts, resolvedUuid, which registry_resolve below repeats).
--
-- Only a write holding the write-order lock changes this table: the rows are rewritten by a trigger on the change
-- feed, whose rows registry_commit_writes adds after taking that lock. A statement run under the lock sees every
-- write committed before it, so what it stores is the resolution as of its own commit; and since nobody else writes
-- these rows, it never waits for another write's row locks while holding the lock (rewriting the resolutions on
-- component_dependencies itself would: a write that replaces its declarations locks them before it queues for the
-- lock). No foreign key to component_dependencies, for the same reason.
CREATE TABLE "resolved_dependencies" (
    "component_uuid" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "version_spec" TEXT,
    "resolved_uuid" UUID,

    -- Covering what a walk reads of a declaration, so that probes read the index alone.
    CONSTRAINT "resolved_dependencies_pkey" PRIMARY KEY ("component_uuid", "position") INCLUDE ("resolved_uuid", "version_spec"),
    -- Key share locks on components never wait for updates of them, which change no key.
    CONSTRAINT "resolved_dependencies_component_uuid_fkey" FOREIGN KEY ("component_uuid") REFERENCES "components"("uuid") ON DELETE CASCADE
);

-- Walks towards dependents.
CREATE INDEX "resolved_dependencies_resolved_uuid_idx" ON "resolved_dependencies" ("resolved_uuid") INCLUDE ("component_uuid", "position", "version_spec");

-- What one declaration resolves to now: resolvedUuid('d') of src/resolvers/resolve-sql.ts, for triggers and backfills.
CREATE FUNCTION "registry_resolve"(d component_dependencies) RETURNS UUID
LANGUAGE sql STABLE AS $$
  SELECT CASE
      WHEN d.dependency_uuid IS NOT NULL THEN (SELECT pinned.uuid FROM components pinned WHERE pinned.uuid = d.dependency_uuid)
      WHEN d.upper_key IS NOT NULL THEN (
        SELECT c.uuid FROM components c
         WHERE c.name = d.dependency_name AND c.version_key >= d.lower_key AND c.version_key < d.upper_key AND c.lifecycle <> 'RETIRED'
           AND (right(c.version_key, 1) = '~' OR left(c.version_key, 50) = ANY (d.prerelease_cores))
         ORDER BY c.version_key DESC LIMIT 1)
      ELSE (
        SELECT best.uuid FROM version_range_sets s CROSS JOIN LATERAL (
          SELECT c.uuid, c.version_key FROM components c
           WHERE c.name = d.dependency_name AND c.version_key >= s.lower_key AND c.version_key < s.upper_key AND c.lifecycle <> 'RETIRED'
             AND (right(c.version_key, 1) = '~' OR left(c.version_key, 50) = ANY (s.prerelease_cores))
           ORDER BY c.version_key DESC LIMIT 1) best
         WHERE s.version_spec = d.version_spec
         ORDER BY best.version_key DESC LIMIT 1)
    END
$$;

-- After the change-feed rows of a write: the written components' own declarations afresh, then every other
-- declaration that names a written component's name or pins its uuid, since a version registered, retired or brought
-- back can change what those resolve to. Names never change, so a write touches only what names it.
CREATE FUNCTION "registry_resolve_written"() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM resolved_dependencies r USING (SELECT DISTINCT component_uuid FROM added) w WHERE r.component_uuid = w.component_uuid;
  INSERT INTO resolved_dependencies (component_uuid, position, version_spec, resolved_uuid)
  SELECT d.component_uuid, d.position, d.version_spec, registry_resolve(d)
    FROM component_dependencies d WHERE d.component_uuid IN (SELECT component_uuid FROM added);
  -- A declaration either names or pins, so it comes from one branch only, once: names and uuids are distinct.
  INSERT INTO resolved_dependencies (component_uuid, position, version_spec, resolved_uuid)
  SELECT d.component_uuid, d.position, d.version_spec, registry_resolve(d)
    FROM (SELECT DISTINCT c.name FROM components c WHERE c.uuid IN (SELECT component_uuid FROM added)) w
    JOIN component_dependencies d ON d.dependency_name = w.name
   WHERE d.component_uuid NOT IN (SELECT component_uuid FROM added)
  UNION ALL
  SELECT d.component_uuid, d.position, d.version_spec, registry_resolve(d)
    FROM (SELECT DISTINCT component_uuid AS uuid FROM added) w
    JOIN component_dependencies d ON d.dependency_uuid = w.uuid
   WHERE d.component_uuid NOT IN (SELECT component_uuid FROM added)
  ON CONFLICT (component_uuid, position) DO UPDATE SET resolved_uuid = EXCLUDED.resolved_uuid, version_spec = EXCLUDED.version_spec
   WHERE resolved_dependencies.resolved_uuid IS DISTINCT FROM EXCLUDED.resolved_uuid
      OR resolved_dependencies.version_spec IS DISTINCT FROM EXCLUDED.version_spec;
  RETURN NULL;
END;
$$;

CREATE TRIGGER "changes_resolve"
AFTER INSERT ON "changes"
REFERENCING NEW TABLE AS "added"
FOR EACH STATEMENT EXECUTE FUNCTION "registry_resolve_written"();

-- Every resolution recomputed: the backfill below, and for whoever loads component_dependencies by other means than
-- the registry's writes (bulk SQL loads, benchmarks), which then owes this call.
CREATE FUNCTION "registry_resolve_all"() RETURNS VOID
LANGUAGE sql AS $$
  DELETE FROM resolved_dependencies;
  INSERT INTO resolved_dependencies (component_uuid, position, version_spec, resolved_uuid)
  SELECT d.component_uuid, d.position, d.version_spec, registry_resolve(d) FROM component_dependencies d;
$$;

SELECT registry_resolve_all();
