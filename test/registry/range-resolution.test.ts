import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import semver from 'semver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { versionSortKey } from '../../src/metadata/version-key.js';
import { resolvedJoin } from '../../src/resolvers/resolve-sql.js';
import { migratedDatabase, type MigratedDatabase } from '../support/database.js';

// The ranges compiled in the database (prisma/migrations/20261201000000_compiled_ranges) against node-semver, the
// one definition of a range: the version SQL chooses must be semver.maxSatisfying over the non-retired versions.
let database: MigratedDatabase;
beforeAll(async () => {
  database = await migratedDatabase();
});
afterAll(() => database.close());

interface Candidate {
  readonly version: string;
  readonly retired: boolean;
}

/** Registers `candidates` under a fresh name and returns, for each range, the version SQL resolves it to. */
async function resolveInSql(candidates: readonly Candidate[], ranges: readonly string[]): Promise<Array<string | null>> {
  const name = `p-${randomUUID()}`;
  const unique = [...new Map(candidates.map((candidate) => [candidate.version, candidate])).values()];
  if (unique.length > 0) {
    await database.db.query(
      `INSERT INTO components (uuid, name, version, version_key, type, lifecycle, document, revision)
       SELECT gen_random_uuid(), $1, v, k, 'TOOL', (CASE WHEN r THEN 'RETIRED' ELSE 'ACTIVE' END)::lifecycle, '{}', 1
         FROM unnest($2::text[], $3::text[], $4::boolean[]) AS t(v, k, r)`,
      [name, unique.map((c) => c.version), unique.map((c) => versionSortKey(c.version)), unique.map((c) => c.retired)],
    );
  }
  await database.db.query(
    `INSERT INTO version_range_sets (version_spec, set_index, lower_key, upper_key, prerelease_cores)
     SELECT s.spec, r.set_index, r.lower_key, r.upper_key, r.prerelease_cores
       FROM (SELECT DISTINCT spec FROM unnest($1::text[]) AS u(spec)) s CROSS JOIN LATERAL registry_compile_range(s.spec) r
     ON CONFLICT DO NOTHING`,
    [ranges],
  );
  const rows = await database.db.query<{ ordinal: number; version: string | null }>(
    `SELECT d.ordinal::int AS ordinal, c.version
       FROM (SELECT $1::text AS dependency_name, spec AS version_spec, NULL::uuid AS dependency_uuid, ordinal
               FROM unnest($2::text[]) WITH ORDINALITY AS u(spec, ordinal)) d
       ${resolvedJoin('d', 'r')}
       LEFT JOIN components c ON c.uuid = r.uuid
      ORDER BY d.ordinal`,
    [name, ranges],
  );
  return rows.map((row) => row.version);
}

function expected(candidates: readonly Candidate[], range: string): string | null {
  return semver.maxSatisfying(candidates.filter((c) => !c.retired).map((c) => c.version), range);
}

/** Versions equal in precedence (they differ only in build metadata) count as the same choice. */
function sameChoice(actual: string | null, wanted: string | null): boolean {
  return actual === null || wanted === null ? actual === wanted : semver.eq(actual, wanted);
}

const number = fc.integer({ min: 0, max: 3 });
const identifier = fc.constantFrom('alpha', 'beta', 'rc', '0', '1', '2', '10', 'x-1', '1a');
const prerelease = fc.array(identifier, { minLength: 1, maxLength: 3 }).map((ids) => ids.join('.'));
const build = fc.constantFrom('build.1', '001', 'sha-5', 'x');
const version = fc
  .tuple(number, number, number, fc.option(prerelease, { freq: 3 }), fc.option(build, { freq: 6 }))
  .map(([major, minor, patch, pre, meta]) => `${major}.${minor}.${patch}${pre ? `-${pre}` : ''}${meta ? `+${meta}` : ''}`);
const candidate = fc.record({ version, retired: fc.boolean().map((b) => b && Math.random() < 0.4) });
const wildcard = fc.constantFrom('x', 'X', '*');
const partial = fc.oneof(
  version,
  number.map(String),
  fc.tuple(number, number).map(([a, b]) => `${a}.${b}`),
  fc.tuple(number, wildcard).map(([a, x]) => `${a}.${x}`),
  fc.tuple(number, number, wildcard).map(([a, b, x]) => `${a}.${b}.${x}`),
  wildcard,
);
const operator = fc.constantFrom('', '=', '<', '<=', '>', '>=', '~', '^', '~>', 'v', '= ', '>= ', '^ ');
const comparator = fc.tuple(operator, partial).map(([op, p]) => `${op}${p}`);
const simpleSet = fc.array(comparator, { minLength: 1, maxLength: 3 }).map((list) => list.join(' '));
const hyphen = fc.tuple(partial, partial).map(([a, b]) => `${a} - ${b}`);
const range = fc
  .array(fc.oneof({ weight: 4, arbitrary: simpleSet }, { weight: 1, arbitrary: hyphen }, { weight: 1, arbitrary: fc.constant('') }), {
    minLength: 1,
    maxLength: 3,
  })
  .map((sets) => sets.join(' || '));

describe('ranges compiled in the database', () => {
  it('choose what semver.maxSatisfying chooses, on ranges that exercise every rule', async () => {
    const candidates: Candidate[] = [
      '0.0.1', '0.0.2', '0.1.0', '0.1.5', '0.2.0', '1.0.0', '1.2.3', '1.2.4-alpha', '1.2.4', '1.3.0-beta.2', '1.3.0',
      '2.0.0-rc.1', '2.0.0', '2.1.0+build.5', '3.0.0-0', '10.0.0',
    ].map((v) => ({ version: v, retired: false }));
    candidates.push({ version: '1.9.9', retired: true });
    const ranges = [
      '', '*', 'x', '1', '1.x', '1.2', '1.2.x', '^1.2.3', '^0.1.2', '^0.0.1', '^1.2.4-alpha', '~1.2.3', '~1.2', '~1', '~>1.2',
      '>=1.2.3 <2.0.0', '>1.2.3', '<=1.2', '<1.3', '>1', '>=1.2.4-alpha', '1.2.3 - 2', '1.2 - 1.3.0-beta.2', '1 - 2.x',
      '<2.0.0-rc.1 || >=10', '>=3.0.0-0', '=1.2.3', 'v1.2.3', '1.2.3+build', '>= 1.0.0 < 1.3', '^ 1.2', '~ 0.1', '<0.0.0-0',
      '<0.0.0-0 || 1.x', '* || 1.2.3', '>=0.0.0', '1.9.9', '>1.x', '<=0.x', '<x', '>=*', '2.1.0', '^2.0.0-rc.0', '1.x.3',
    ];
    const actual = await resolveInSql(candidates, ranges);
    const wanted = ranges.map((r) => (semver.validRange(r) === null ? null : expected(candidates, r)));
    expect(ranges.flatMap((r, i) => (actual[i] === wanted[i] ? [] : [`${r}: ${actual[i]}`]))).toEqual([]);
  });

  it('choose what semver.maxSatisfying chooses, on random versions and ranges', async () => {
    // Tallies, so the property cannot pass by generating nothing that resolves.
    let checked = 0;
    let chosen = 0;
    let prereleases = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(candidate, { minLength: 0, maxLength: 30 }),
        fc.array(range, { minLength: 5, maxLength: 40 }),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom('^', '~', '>=', '>', '<=', '', '~>')), { maxLength: 10 }),
        async (candidates, ranges, named) => {
        // Ranges naming the candidates' own versions, so prereleases on the same core are chosen often enough.
        const derived = candidates.length === 0 ? [] : named.map(([index, op]) => `${op}${candidates[index % candidates.length]!.version}`);
        const valid = [...ranges, ...derived].filter((r) => semver.validRange(r) !== null);
        const actual = await resolveInSql(candidates, valid);
        valid.forEach((r, i) => {
          const wanted = expected(candidates, r);
          if (!sameChoice(actual[i]!, wanted)) throw new Error(`range "${r}": SQL chose ${actual[i]}, semver ${wanted}`);
          checked += 1;
          if (wanted !== null) chosen += 1;
          if (wanted !== null && semver.prerelease(wanted)) prereleases += 1;
        });
        },
      ),
      { numRuns: 250 },
    );
    expect(checked).toBeGreaterThan(2_000);
    expect(chosen).toBeGreaterThan(600);
    expect(prereleases).toBeGreaterThan(20);
  });
});
