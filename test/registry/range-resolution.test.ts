import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import semver from 'semver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { versionSortKey } from '../../src/metadata/version-key.js';
import { resolvedUuid, UNCOMPILED } from '../../src/resolvers/resolve-sql.js';
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

/**
 * Registers `candidates` under a fresh name and one component declaring a dependency on it with each range, and
 * returns, for each range, the version SQL resolves it to: through the declaration rows as stored (a one-set range
 * compiled onto the row) and through the ranges table alone (as for declarations read from documents).
 */
async function resolveInSql(candidates: readonly Candidate[], ranges: readonly string[]): Promise<{ stored: Array<string | null>; tabled: Array<string | null> }> {
  const name = `p-${randomUUID()}`;
  const owner = randomUUID();
  const unique = distinctVersions(candidates);
  await database.db.query(
    `INSERT INTO components (uuid, name, version, version_key, type, lifecycle, document, revision)
     SELECT coalesce(o, gen_random_uuid()), coalesce(n, $1), v, k, 'TOOL', (CASE WHEN r THEN 'RETIRED' ELSE 'ACTIVE' END)::lifecycle, '{}', 1
       FROM unnest($2::text[], $3::text[], $4::boolean[], $5::uuid[], $6::text[]) AS t(v, k, r, o, n)`,
    [
      name,
      [...unique.map((c) => c.version), '1.0.0'],
      [...unique.map((c) => versionSortKey(c.version)), versionSortKey('1.0.0')],
      [...unique.map((c) => c.retired), false],
      [...unique.map(() => null), owner],
      [...unique.map(() => null), `owner-${owner}`],
    ],
  );
  await database.db.query(
    `INSERT INTO component_dependencies (component_uuid, position, dependency_name, version_spec)
     SELECT $1::uuid, ordinal - 1, $2, spec FROM unnest($3::text[]) WITH ORDINALITY AS u(spec, ordinal)`,
    [owner, name, ranges],
  );
  const stored = await database.db.query<{ version: string | null }>(
    `SELECT c.version FROM component_dependencies d LEFT JOIN components c ON c.uuid = ${resolvedUuid('d')}
      WHERE d.component_uuid = $1::uuid ORDER BY d.position`,
    [owner],
  );
  const tabled = await database.db.query<{ version: string | null }>(
    `SELECT c.version
       FROM (SELECT $1::text AS dependency_name, spec AS version_spec, NULL::uuid AS dependency_uuid, ordinal, ${UNCOMPILED}
               FROM unnest($2::text[]) WITH ORDINALITY AS u(spec, ordinal)) d
       LEFT JOIN components c ON c.uuid = ${resolvedUuid('d')}
      ORDER BY d.ordinal`,
    [name, ranges],
  );
  return { stored: stored.map((row) => row.version), tabled: tabled.map((row) => row.version) };
}

/**
 * One candidate per version, the last given: (name, version) is unique in the registry, so a version generated
 * twice is registered once, and semver must be asked about that same one.
 */
function distinctVersions(candidates: readonly Candidate[]): Candidate[] {
  return [...new Map(candidates.map((candidate) => [candidate.version, candidate])).values()];
}

function expected(candidates: readonly Candidate[], range: string): string | null {
  return semver.maxSatisfying(distinctVersions(candidates).filter((c) => !c.retired).map((c) => c.version), range);
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
    const { stored, tabled } = await resolveInSql(candidates, ranges);
    const wanted = ranges.map((r) => (semver.validRange(r) === null ? null : expected(candidates, r)));
    expect(ranges.flatMap((r, i) => (stored[i] === wanted[i] ? [] : [`${r}: ${stored[i]}`]))).toEqual([]);
    expect(tabled).toEqual(stored);
  });

  it('are readable through the generated client: the sets of a range, and a one-set range on its declaration', async () => {
    await resolveInSql([{ version: '1.2.3', retired: false }], ['^1.2.3-beta.1', '1.x || >=3']);
    const sets = await database.db.prisma.versionRangeSet.findMany({ where: { versionSpec: { in: ['^1.2.3-beta.1', '1.x || >=3'] } }, orderBy: [{ versionSpec: 'asc' }, { setIndex: 'asc' }] });
    expect(sets.map(({ versionSpec, setIndex, lowerKey, upperKey, prereleaseCores }) => ({ versionSpec, setIndex, lowerKey, upperKey, prereleaseCores }))).toEqual([
      { versionSpec: '1.x || >=3', setIndex: 0, lowerKey: versionSortKey('1.0.0'), upperKey: versionSortKey('2.0.0-0'), prereleaseCores: [versionSortKey('2.0.0').slice(0, 50)] },
      { versionSpec: '1.x || >=3', setIndex: 1, lowerKey: versionSortKey('3.0.0'), upperKey: '~', prereleaseCores: [] },
      { versionSpec: '^1.2.3-beta.1', setIndex: 0, lowerKey: versionSortKey('1.2.3-beta.1'), upperKey: versionSortKey('2.0.0-0'),
        prereleaseCores: [versionSortKey('1.2.3').slice(0, 50), versionSortKey('2.0.0').slice(0, 50)] },
    ]);
    const declarations = await database.db.prisma.componentDependency.findMany({ where: { versionSpec: { in: ['^1.2.3-beta.1', '1.x || >=3'] } }, orderBy: { versionSpec: 'asc' } });
    expect(declarations.map(({ versionSpec, lowerKey, upperKey }) => ({ versionSpec, lowerKey, upperKey }))).toEqual([
      { versionSpec: '1.x || >=3', lowerKey: null, upperKey: null },
      { versionSpec: '^1.2.3-beta.1', lowerKey: sets[2]!.lowerKey, upperKey: sets[2]!.upperKey },
    ]);
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
        const { stored, tabled } = await resolveInSql(candidates, valid);
        valid.forEach((r, i) => {
          const wanted = expected(candidates, r);
          if (!sameChoice(stored[i]!, wanted)) throw new Error(`range "${r}": SQL chose ${stored[i]}, semver ${wanted}`);
          if (!sameChoice(tabled[i]!, wanted)) throw new Error(`range "${r}" from the ranges table: SQL chose ${tabled[i]}, semver ${wanted}`);
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
