-- Every write of the registry as one statement (src/resolvers/write.ts): the rows of a batch of registrations
-- or one update, then the write-order lock, then the change-feed rows. Run on its own it commits the moment it
-- returns, so the lock is held from inside the database to COMMIT and never across a turn of the server's
-- event loop.
--
-- `writes` is a JSON array, each item one of
--   { "kind": "REGISTERED", "uuid", "name", "version", "version_key", "type", "lifecycle", "description",
--     "owner", "tags", "document", "guard" }
--   { "kind": "UPDATED", same fields, "base_revision", "patch", "dependencies_changed", "guard" }
-- where "guard" marks a write that adds dependency edges (declared dependencies, new or changed). Unless
-- `cycles_checked` (the caller holds the transaction open and walks the graph before it commits), a guarded
-- write is refused with OB003 when anything outside the batch declares a dependency that could resolve to it:
-- only then can it close a cycle (the caller has ruled out loops among the batch's own declarations), and only
-- the caller can resolve ranges. The check runs after the lock, in a statement of its own, so it sees every
-- write committed before this one took its turn.
--
-- Refusals, each with a JSON DETAIL naming the item by its index:
--   OB001 the uuid, or the name and version, hold another document;
--   OB002 the component is no longer at base_revision (or no longer exists);
--   OB003 a guarded write needs the caller's cycle check.
-- Returns { "results": one object per item, in order, { "status": "registered" | "unchanged" | "updated",
-- "component" }; "databaseMs": the statement's time in the database; "lockWaitMs": the part spent waiting for
-- the write-order lock }.
CREATE FUNCTION "registry_commit_writes"(writes JSONB, acting TEXT, cycles_checked BOOLEAN)
RETURNS JSONB
LANGUAGE plpgsql
AS $$
DECLARE
  item JSONB;
  n INT := 0;
  written components%ROWTYPE;
  existing components%ROWTYPE;
  -- Only uuids, statuses and guards are gathered per item and the rows read once at the end: growing an array
  -- copies it, so gathering whole rows would make a batch cost the square of its size.
  uuids UUID[] := ARRAY[]::UUID[];
  statuses TEXT[] := ARRAY[]::TEXT[];
  guards BOOLEAN[] := ARRAY[]::BOOLEAN[];
  refused INT;
  results JSONB;
  started TIMESTAMPTZ := clock_timestamp();
  locking TIMESTAMPTZ;
  locked TIMESTAMPTZ;
BEGIN
  FOR item IN SELECT value FROM jsonb_array_elements(writes) LOOP
    IF item->>'kind' = 'REGISTERED' THEN
      INSERT INTO components (uuid, name, version, version_key, type, lifecycle, description, owner, tags, document, revision)
      VALUES ((item->>'uuid')::uuid, item->>'name', item->>'version', item->>'version_key',
              (item->>'type')::component_type, (item->>'lifecycle')::lifecycle, item->>'description', item->>'owner',
              ARRAY(SELECT jsonb_array_elements_text(item->'tags')), item->'document', 1)
      ON CONFLICT DO NOTHING
      RETURNING * INTO written;
      IF FOUND THEN
        INSERT INTO component_revisions (component_uuid, revision, document, actor)
        VALUES (written.uuid, 1, written.document, acting);
        statuses := statuses || 'registered'::TEXT;
      ELSE
        SELECT * INTO existing FROM components WHERE uuid = (item->>'uuid')::uuid;
        IF FOUND AND existing.document = item->'document' THEN
          written := existing;
          statuses := statuses || 'unchanged'::TEXT;
        ELSE
          IF NOT FOUND THEN
            SELECT * INTO existing FROM components WHERE name = item->>'name' AND version = item->>'version';
          END IF;
          RAISE EXCEPTION USING ERRCODE = 'OB001', MESSAGE = 'already exists', DETAIL = jsonb_build_object(
            'index', n, 'uuid', existing.uuid, 'name', existing.name, 'version', existing.version,
            'revision', existing.revision, 'sameUuid', existing.uuid = (item->>'uuid')::uuid)::text;
        END IF;
      END IF;
    ELSE
      UPDATE components SET
        type = (item->>'type')::component_type, lifecycle = (item->>'lifecycle')::lifecycle, description = item->>'description', owner = item->>'owner',
        tags = ARRAY(SELECT jsonb_array_elements_text(item->'tags')), document = item->'document',
        revision = revision + 1, updated_at = CURRENT_TIMESTAMP
      WHERE uuid = (item->>'uuid')::uuid AND revision = (item->>'base_revision')::int
      RETURNING * INTO written;
      IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'OB002', MESSAGE = 'revision moved', DETAIL = jsonb_build_object(
          'index', n,
          'currentRevision', (SELECT revision FROM components WHERE uuid = (item->>'uuid')::uuid))::text;
      END IF;
      INSERT INTO component_revisions (component_uuid, revision, document, patch, actor)
      VALUES (written.uuid, written.revision, written.document, item->'patch', acting);
      IF (item->>'dependencies_changed')::boolean THEN
        DELETE FROM component_dependencies WHERE component_uuid = written.uuid;
      END IF;
      statuses := statuses || 'updated'::TEXT;
    END IF;
    IF statuses[n + 1] = 'registered' OR (item->>'dependencies_changed')::boolean THEN
      INSERT INTO component_dependencies (component_uuid, position, dependency_name, version_spec, dependency_uuid)
      SELECT written.uuid, d.ordinality - 1, d.value->>'name', d.value->>'version_spec', (d.value->>'uuid')::uuid
        FROM jsonb_array_elements(coalesce(written.document->'dependencies', '[]'::jsonb)) WITH ORDINALITY AS d(value, ordinality);
    END IF;
    uuids := uuids || written.uuid;
    guards := guards || coalesce((item->>'guard')::boolean, false);
    n := n + 1;
  END LOOP;

  -- The write-order lock: change numbers become visible in commit order, and guarded writes see each other.
  locking := clock_timestamp();
  PERFORM pg_advisory_xact_lock(1869442665);
  locked := clock_timestamp();

  IF NOT cycles_checked THEN
    SELECT w.i - 1 INTO refused
      FROM unnest(uuids, statuses, guards) WITH ORDINALITY AS w(uuid, status, guard, i)
      JOIN components c ON c.uuid = w.uuid
     WHERE w.status <> 'unchanged' AND w.guard
       AND EXISTS (SELECT 1 FROM component_dependencies d
                    WHERE (d.dependency_name = c.name OR d.dependency_uuid = c.uuid) AND d.component_uuid <> ALL (uuids))
     ORDER BY w.i LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION USING ERRCODE = 'OB003', MESSAGE = 'cycle check needed', DETAIL = jsonb_build_object('index', refused)::text;
    END IF;
  END IF;

  INSERT INTO changes (kind, component_uuid, revision)
  SELECT CASE w.status WHEN 'registered' THEN 'REGISTERED'::change_kind ELSE 'UPDATED'::change_kind END, c.uuid, c.revision
    FROM unnest(uuids, statuses) WITH ORDINALITY AS w(uuid, status, i)
    JOIN components c ON c.uuid = w.uuid
   WHERE w.status <> 'unchanged'
   ORDER BY w.i;

  SELECT jsonb_agg(jsonb_build_object('status', w.status, 'component', jsonb_build_object(
           'uuid', c.uuid, 'name', c.name, 'version', c.version, 'versionKey', c.version_key, 'type', c.type,
           'lifecycle', c.lifecycle, 'description', c.description, 'owner', c.owner, 'tags', to_jsonb(c.tags),
           'document', c.document, 'revision', c.revision, 'createdAt', c.created_at, 'updatedAt', c.updated_at))
         ORDER BY w.i)
    INTO results
    FROM unnest(uuids, statuses) WITH ORDINALITY AS w(uuid, status, i)
    JOIN components c ON c.uuid = w.uuid;
  RETURN jsonb_build_object('results', results,
    'databaseMs', extract(epoch FROM clock_timestamp() - started) * 1000,
    'lockWaitMs', extract(epoch FROM locked - locking) * 1000);
END;
$$;
