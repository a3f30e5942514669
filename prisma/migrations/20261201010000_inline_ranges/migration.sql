-- A range of one comparator set (nearly all of them) kept on the declaration itself, so resolving it is one
-- index scan with nothing to join first: a graph walk resolves every declaration it meets, and the probe of
-- version_range_sets per declaration cost as much as the scan. Ranges with "||" leave these columns null and
-- resolve through version_range_sets (src/resolvers/resolve-sql.ts).

ALTER TABLE "component_dependencies"
    ADD COLUMN "lower_key" TEXT COLLATE "C",
    ADD COLUMN "upper_key" TEXT COLLATE "C",
    ADD COLUMN "prerelease_cores" TEXT[] COLLATE "C";

DROP TRIGGER "component_dependencies_compile_ranges" ON "component_dependencies";
DROP FUNCTION "registry_compile_new_ranges"();

-- Each declaration row as it is inserted, whichever way: its range compiled once (the first time any declaration
-- names it) into version_range_sets, and a one-set range copied onto the row.
CREATE FUNCTION "registry_compile_declaration"() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
DECLARE
  sets INT;
BEGIN
  IF NEW.version_spec IS NULL THEN
    RETURN NEW;
  END IF;
  SELECT count(*) INTO sets FROM version_range_sets WHERE version_spec = NEW.version_spec;
  IF sets = 0 THEN
    INSERT INTO version_range_sets (version_spec, set_index, lower_key, upper_key, prerelease_cores)
    SELECT NEW.version_spec, r.set_index, r.lower_key, r.upper_key, r.prerelease_cores FROM registry_compile_range(NEW.version_spec) r
    ON CONFLICT DO NOTHING;
    SELECT count(*) INTO sets FROM registry_compile_range(NEW.version_spec);
    IF sets = 1 THEN
      SELECT r.lower_key, r.upper_key, r.prerelease_cores INTO NEW.lower_key, NEW.upper_key, NEW.prerelease_cores
        FROM registry_compile_range(NEW.version_spec) r;
    END IF;
  ELSIF sets = 1 THEN
    SELECT s.lower_key, s.upper_key, s.prerelease_cores INTO NEW.lower_key, NEW.upper_key, NEW.prerelease_cores
      FROM version_range_sets s WHERE s.version_spec = NEW.version_spec;
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER "component_dependencies_compile_range"
BEFORE INSERT ON "component_dependencies"
FOR EACH ROW EXECUTE FUNCTION registry_compile_declaration();

-- Backfill: the declarations already there whose range has one set.
UPDATE "component_dependencies" d
   SET "lower_key" = s."lower_key", "upper_key" = s."upper_key", "prerelease_cores" = s."prerelease_cores"
  FROM "version_range_sets" s
 WHERE s."version_spec" = d."version_spec"
   AND NOT EXISTS (SELECT 1 FROM "version_range_sets" o WHERE o."version_spec" = s."version_spec" AND o."set_index" <> s."set_index");
