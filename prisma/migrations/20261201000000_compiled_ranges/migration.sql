-- Every declared range compiled into what PostgreSQL can compare, so that "the highest satisfying, non-retired
-- version" is one indexed expression (src/resolvers/resolve-sql.ts) and whole graphs resolve inside the database.
--
-- A range is compiled once per distinct text into its comparator sets (the `||` alternatives), each a half-open
-- interval [lower_key, upper_key) of components.version_key (src/metadata/version-key.ts, COLLATE "C") and the
-- release cores (major.minor.patch, as the first 50 characters of a key) on which the set admits prereleases:
-- npm's rule that a prerelease satisfies a range only when a comparator of the set names a prerelease of the same
-- major.minor.patch. The compiler below is node-semver's own desugaring (classes/range.js, non-loose) step by step;
-- test/registry/range-resolution.test.ts holds it equal to semver.maxSatisfying on random versions and ranges.

CREATE TABLE "version_range_sets" (
    "version_spec" TEXT NOT NULL,
    "set_index" INTEGER NOT NULL,
    "lower_key" TEXT COLLATE "C" NOT NULL,
    "upper_key" TEXT COLLATE "C" NOT NULL,
    "prerelease_cores" TEXT[] COLLATE "C" NOT NULL,

    CONSTRAINT "version_range_sets_pkey" PRIMARY KEY ("version_spec", "set_index")
);

-- One number of a version key: 16 digits. A prerelease number too long for that can only appear in a range (stored
-- versions stay within Number.MAX_SAFE_INTEGER), and sorts above every stored one, as node-semver compares it.
CREATE FUNCTION "registry_key_number"(digits TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN length(digits) > 16 THEN repeat('9', 16) ELSE lpad(digits, 16, '0') END
$$;

-- versionSortKey (src/metadata/version-key.ts) in SQL, for the versions a range names.
CREATE FUNCTION "registry_version_key"(major TEXT, minor TEXT, patch TEXT, prerelease TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT registry_key_number(major) || '.' || registry_key_number(minor) || '.' || registry_key_number(patch) ||
    CASE WHEN coalesce(prerelease, '') = '' THEN '~'
    ELSE ' ' || (SELECT string_agg(CASE WHEN id ~ '^[0-9]+$' THEN '0' || registry_key_number(id) ELSE '1' || id END, ' ' ORDER BY n)
                   FROM unnest(string_to_array(prerelease, '.')) WITH ORDINALITY AS t(id, n)) END
$$;

-- The comparator sets of a range, or no row when node-semver would refuse it (such a range then resolves to
-- nothing, as resolveRange does). Each set: lower bound inclusive, upper bound exclusive ('' and '~' when open:
-- every key starts with a digit), and the prerelease cores.
CREATE FUNCTION "registry_compile_range"(spec TEXT)
RETURNS TABLE (set_index INTEGER, lower_key TEXT, upper_key TEXT, prerelease_cores TEXT[])
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  -- node-semver's grammar (internal/re.js), as its "safe" expressions: whitespace is collapsed first.
  num CONSTANT TEXT := '0|[1-9][0-9]*';
  prid CONSTANT TEXT := '(?:[0-9]*[a-zA-Z-][a-zA-Z0-9-]*|0|[1-9][0-9]*)';
  pre CONSTANT TEXT := '(?:-(' || prid || '(?:\.' || prid || ')*))';
  build CONSTANT TEXT := '(?:\+([a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*))';
  xid CONSTANT TEXT := '(' || num || '|x|X|\*)';
  -- XRANGEPLAIN: five groups, major, minor, patch, prerelease, build.
  xplain CONSTANT TEXT := '[v=\s]*' || xid || '(?:\.' || xid || '(?:\.' || xid || '(?:' || pre || ')?' || build || '?)?)?';
  fullplain CONSTANT TEXT := 'v?(' || num || ')\.(' || num || ')\.(' || num || ')' || pre || '?' || build || '?';
  raw TEXT := regexp_replace(btrim(spec, E' \t\n\r\f\v'), '\s+', ' ', 'g');
  part TEXT;
  token TEXT;
  piece TEXT;
  g TEXT[];
  op TEXT;
  major TEXT; minor TEXT; patch TEXT; pr TEXT;
  xmaj BOOLEAN; xmin BOOLEAN; xpat BOOLEAN;
  comparators TEXT[];
  sets TEXT[][] := ARRAY[]::TEXT[][];
  set_list JSONB := '[]'::JSONB;
  one JSONB;
  lo TEXT COLLATE "C";
  hi TEXT COLLATE "C";
  key TEXT COLLATE "C";
  cores TEXT[];
  n INTEGER := 0;
  kept JSONB := '[]'::JSONB;
BEGIN
  -- string_to_array gives no element at all for '', which node-semver reads as one empty set.
  FOREACH part IN ARRAY CASE WHEN raw = '' THEN ARRAY[''] ELSE string_to_array(raw, '||') END LOOP
    part := btrim(part, ' ');
    part := regexp_replace(part, build, '', 'g');
    -- Hyphen ranges: "a - b".
    g := regexp_match(part, '^\s*(' || xplain || ')\s+-\s+(' || xplain || ')\s*$');
    IF g IS NOT NULL THEN
      part := btrim(
        CASE WHEN g[2] IS NULL OR g[2] IN ('x', 'X', '*') THEN ''
             WHEN g[3] IS NULL OR g[3] IN ('x', 'X', '*') THEN '>=' || g[2] || '.0.0'
             WHEN g[4] IS NULL OR g[4] IN ('x', 'X', '*') THEN '>=' || g[2] || '.' || g[3] || '.0'
             ELSE '>=' || g[1] END || ' ' ||
        CASE WHEN g[8] IS NULL OR g[8] IN ('x', 'X', '*') THEN ''
             WHEN g[9] IS NULL OR g[9] IN ('x', 'X', '*') THEN '<' || (g[8]::NUMERIC + 1) || '.0.0-0'
             WHEN g[10] IS NULL OR g[10] IN ('x', 'X', '*') THEN '<' || g[8] || '.' || (g[9]::NUMERIC + 1) || '.0-0'
             WHEN g[11] IS NOT NULL THEN '<=' || g[8] || '.' || g[9] || '.' || g[10] || '-' || g[11]
             ELSE '<=' || g[7] END, ' ');
    END IF;
    -- No space between an operator, "~" or "^" and its version.
    part := regexp_replace(part, '(\s?)((?:<|>)?=?)\s?(' || xplain || ')', '\1\2\3', 'g');
    part := regexp_replace(part, '(\s?)~>?\s', '\1~', 'g');
    part := regexp_replace(part, '(\s?)\^\s', '\1^', 'g');

    comparators := ARRAY[]::TEXT[];
    FOREACH token IN ARRAY string_to_array(part, ' ') LOOP
      g := regexp_match(token, '^\^' || xplain || '$');
      IF g IS NOT NULL THEN
        major := g[1]; minor := g[2]; patch := g[3]; pr := g[4];
        xmaj := major IS NULL OR major IN ('x', 'X', '*');
        xmin := minor IS NULL OR minor IN ('x', 'X', '*');
        xpat := patch IS NULL OR patch IN ('x', 'X', '*');
        token := CASE
          WHEN xmaj THEN ''
          WHEN xmin THEN '>=' || major || '.0.0 <' || (major::NUMERIC + 1) || '.0.0-0'
          WHEN xpat AND major = '0' THEN '>=' || major || '.' || minor || '.0 <' || major || '.' || (minor::NUMERIC + 1) || '.0-0'
          WHEN xpat THEN '>=' || major || '.' || minor || '.0 <' || (major::NUMERIC + 1) || '.0.0-0'
          ELSE '>=' || major || '.' || minor || '.' || patch || coalesce('-' || pr, '') || ' <' || CASE
            WHEN major = '0' AND minor = '0' THEN major || '.' || minor || '.' || (patch::NUMERIC + 1)
            WHEN major = '0' THEN major || '.' || (minor::NUMERIC + 1) || '.0'
            ELSE (major::NUMERIC + 1) || '.0.0' END || '-0' END;
      ELSE
        g := regexp_match(token, '^~>?' || xplain || '$');
        IF g IS NOT NULL THEN
          major := g[1]; minor := g[2]; patch := g[3]; pr := g[4];
          token := CASE
            WHEN major IS NULL OR major IN ('x', 'X', '*') THEN ''
            WHEN minor IS NULL OR minor IN ('x', 'X', '*') THEN '>=' || major || '.0.0 <' || (major::NUMERIC + 1) || '.0.0-0'
            WHEN patch IS NULL OR patch IN ('x', 'X', '*') THEN '>=' || major || '.' || minor || '.0 <' || major || '.' || (minor::NUMERIC + 1) || '.0-0'
            ELSE '>=' || major || '.' || minor || '.' || patch || coalesce('-' || pr, '') || ' <' || major || '.' || (minor::NUMERIC + 1) || '.0-0' END;
        ELSE
          g := regexp_match(token, '^((?:<|>)?=?)\s*' || xplain || '$');
          IF g IS NOT NULL THEN
            op := g[1]; major := g[2]; minor := g[3]; patch := g[4];
            xmaj := major IS NULL OR major IN ('x', 'X', '*');
            xmin := xmaj OR minor IS NULL OR minor IN ('x', 'X', '*');
            xpat := xmin OR patch IS NULL OR patch IN ('x', 'X', '*');
            -- An x before a number ("1.x.3", "x.1") is left for the comparator to refuse, as node-semver does.
            IF NOT ((xmaj AND NOT (minor IS NULL OR minor IN ('x', 'X', '*'))) OR
                    ((minor IS NULL OR minor IN ('x', 'X', '*')) AND patch IS NOT NULL AND patch NOT IN ('x', 'X', '*'))) THEN
              IF op = '=' AND xpat THEN op := ''; END IF;
              IF xmaj THEN
                token := CASE WHEN op IN ('>', '<') THEN '<0.0.0-0' ELSE '*' END;
              ELSIF op <> '' AND xpat THEN
                IF xmin THEN minor := '0'; END IF;
                patch := '0';
                IF op = '>' THEN
                  op := '>=';
                  IF xmin THEN major := (major::NUMERIC + 1)::TEXT; minor := '0'; ELSE minor := (minor::NUMERIC + 1)::TEXT; END IF;
                ELSIF op = '<=' THEN
                  op := '<';
                  IF xmin THEN major := (major::NUMERIC + 1)::TEXT; ELSE minor := (minor::NUMERIC + 1)::TEXT; END IF;
                END IF;
                token := op || major || '.' || minor || '.' || patch || CASE WHEN op = '<' THEN '-0' ELSE '' END;
              ELSIF xmin THEN
                token := '>=' || major || '.0.0 <' || (major::NUMERIC + 1) || '.0.0-0';
              ELSIF xpat THEN
                token := '>=' || major || '.' || minor || '.0 <' || major || '.' || (minor::NUMERIC + 1) || '.0-0';
              END IF;
            END IF;
          END IF;
        END IF;
      END IF;
      token := regexp_replace(btrim(token, ' '), '(<|>)?=?\s*\*', '');
      FOREACH piece IN ARRAY regexp_split_to_array(btrim(token, ' '), '\s+') LOOP
        IF piece ~ '^\s*>=\s*0\.0\.0\s*$' THEN piece := ''; END IF;
        comparators := comparators || piece;
      END LOOP;
    END LOOP;
    IF cardinality(comparators) = 0 THEN comparators := ARRAY['']; END IF;

    -- The set's comparators: the null set "<0.0.0-0" stands alone, duplicates go, "" (any) goes beside others.
    one := '[]'::JSONB;
    FOREACH piece IN ARRAY comparators LOOP
      IF piece = '' THEN
        one := one || jsonb_build_array(jsonb_build_object('op', '', 'any', true, 'value', ''));
        CONTINUE;
      END IF;
      g := regexp_match(piece, '^((?:<|>)?=?)\s*(' || fullplain || ')$');
      IF g IS NULL THEN RETURN; END IF;  -- node-semver refuses the range
      IF g[1] = '=' THEN g[1] := ''; END IF;
      IF (g[3]::NUMERIC > 9007199254740991) OR (g[4]::NUMERIC > 9007199254740991) OR (g[5]::NUMERIC > 9007199254740991) THEN RETURN; END IF;
      one := one || jsonb_build_array(jsonb_build_object('op', g[1], 'any', false,
        'value', g[1] || g[3] || '.' || g[4] || '.' || g[5] || coalesce('-' || g[6], ''),
        'major', g[3], 'minor', g[4], 'patch', g[5], 'pre', g[6]));
    END LOOP;
    IF EXISTS (SELECT 1 FROM jsonb_array_elements(one) c WHERE c->>'value' = '<0.0.0-0') THEN
      one := jsonb_build_array(jsonb_build_object('op', '<', 'any', false, 'value', '<0.0.0-0', 'major', '0', 'minor', '0', 'patch', '0', 'pre', '0'));
    ELSE
      one := (SELECT jsonb_agg(c ORDER BY first) FROM (
                SELECT DISTINCT ON (c->>'value') c, o AS first FROM jsonb_array_elements(one) WITH ORDINALITY AS e(c, o)
                 ORDER BY c->>'value', o) d);
      IF jsonb_array_length(one) > 1 THEN
        one := coalesce((SELECT jsonb_agg(c ORDER BY o) FROM jsonb_array_elements(one) WITH ORDINALITY AS e(c, o) WHERE c->>'value' <> ''), '[]');
      END IF;
    END IF;
    set_list := set_list || jsonb_build_array(one);
  END LOOP;

  -- Across "||": null sets go unless all are null (then the first stays); a set that is only "any" is the range.
  IF jsonb_array_length(set_list) > 1 THEN
    kept := coalesce((SELECT jsonb_agg(s ORDER BY o) FROM jsonb_array_elements(set_list) WITH ORDINALITY AS e(s, o)
                       WHERE s->0->>'value' <> '<0.0.0-0'), '[]');
    IF jsonb_array_length(kept) = 0 THEN
      set_list := jsonb_build_array(set_list->0);
    ELSE
      set_list := kept;
      SELECT jsonb_build_array(s) INTO one FROM jsonb_array_elements(set_list) WITH ORDINALITY AS e(s, o)
       WHERE jsonb_array_length(s) = 1 AND s->0->>'value' = '' ORDER BY o LIMIT 1;
      IF one IS NOT NULL THEN set_list := one; END IF;
    END IF;
  END IF;

  FOR one IN SELECT s FROM jsonb_array_elements(set_list) AS e(s) LOOP
    lo := '';
    hi := '~';
    cores := ARRAY[]::TEXT[];
    FOR g IN SELECT ARRAY[c->>'op', c->>'major', c->>'minor', c->>'patch', c->>'pre'] FROM jsonb_array_elements(one) c WHERE NOT (c->>'any')::BOOLEAN LOOP
      key := registry_version_key(g[2], g[3], g[4], g[5]);
      -- Keys hold no character below a space, so "> k" is ">= k || chr(1)" and "<= k" is "< k || chr(1)".
      IF g[1] IN ('', '>=') AND key > lo THEN lo := key; END IF;
      IF g[1] = '>' AND key || chr(1) > lo THEN lo := key || chr(1); END IF;
      IF g[1] IN ('', '<=') AND key || chr(1) < hi THEN hi := key || chr(1); END IF;
      IF g[1] = '<' AND key < hi THEN hi := key; END IF;
      IF g[5] IS NOT NULL THEN cores := cores || left(key, 50); END IF;
    END LOOP;
    set_index := n;
    lower_key := lo;
    upper_key := hi;
    prerelease_cores := cores;
    RETURN NEXT;
    n := n + 1;
  END LOOP;
END;
$$;

-- Declarations are compiled as they are written, whichever way they are written: one statement-level trigger per
-- insert compiles the ranges not seen before.
CREATE FUNCTION "registry_compile_new_ranges"() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO version_range_sets (version_spec, set_index, lower_key, upper_key, prerelease_cores)
  SELECT s.version_spec, r.set_index, r.lower_key, r.upper_key, r.prerelease_cores
    FROM (SELECT DISTINCT version_spec FROM added WHERE version_spec IS NOT NULL) s
    CROSS JOIN LATERAL registry_compile_range(s.version_spec) r
   WHERE NOT EXISTS (SELECT 1 FROM version_range_sets v WHERE v.version_spec = s.version_spec)
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END;
$$;

CREATE TRIGGER "component_dependencies_compile_ranges"
AFTER INSERT ON "component_dependencies"
REFERENCING NEW TABLE AS added
FOR EACH STATEMENT EXECUTE FUNCTION registry_compile_new_ranges();

-- Backfill: every range already declared.
INSERT INTO "version_range_sets" ("version_spec", "set_index", "lower_key", "upper_key", "prerelease_cores")
SELECT s.version_spec, r.set_index, r.lower_key, r.upper_key, r.prerelease_cores
  FROM (SELECT DISTINCT "version_spec" FROM "component_dependencies" WHERE "version_spec" IS NOT NULL) s
  CROSS JOIN LATERAL registry_compile_range(s.version_spec) r;
