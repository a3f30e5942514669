import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolvedUuid } from '../../src/resolvers/resolve-sql.js';
import { testEngine } from '../support/database.js';
import { metadata, registryHarness, type RegistryHarness } from '../support/registry.js';

// Graph walks follow the resolutions the write path stores (resolved_dependencies, kept by a trigger on the change
// feed under the write-order lock: prisma/migrations/20261203000000_resolved_dependencies). Whatever writes are made,
// alone or at once, every declaration's stored resolution must be what the registry's rule (resolvedUuid) gives now.
let registry: RegistryHarness;
beforeAll(async () => {
  registry = await registryHarness();
});
afterAll(() => registry.close());

/** Declarations whose stored resolution is missing, left over, or not what the rule gives now. */
async function stale(): Promise<unknown[]> {
  return registry.db.withSession((session) =>
    session.query(
      `SELECT coalesce(d.component_uuid, r.component_uuid) AS component_uuid, coalesce(d.position, r.position) AS position,
              r.resolved_uuid AS stored, ${resolvedUuid('d')} AS now
         FROM component_dependencies d FULL JOIN resolved_dependencies r ON r.component_uuid = d.component_uuid AND r.position = d.position
        WHERE d.component_uuid IS NULL OR r.component_uuid IS NULL
           OR r.resolved_uuid IS DISTINCT FROM ${resolvedUuid('d')} OR r.version_spec IS DISTINCT FROM d.version_spec`,
    ),
  );
}

const REGISTER = `mutation($m: JSON!) { register(metadata: $m) { uuid } }`;
const REGISTER_MANY = `mutation($m: [JSON!]!) { registerMany(metadata: $m) { registered } }`;
const UPDATE = `mutation($uuid: UUID!, $patch: JSON!) { update(uuid: $uuid, patch: $patch, force: true) { revision } }`;

const NAMES = ['lib', 'core', 'util'];
const VERSIONS = ['1.0.0', '1.1.0', '1.2.0-rc.1', '2.0.0', '0.9.0'];
const RANGES = ['^1', '*', '>=1.1.0', '~1.2.0', '1.x || >=2', '^1.2.0-rc.0', '<1', '2.x'];
const LIFECYCLES = ['active', 'deprecated', 'retired', 'experimental'] as const;

type Dependency = { name: string; version_spec: string } | { pin: number };
type Step =
  | { kind: 'register'; name: string; version: string; lifecycle: (typeof LIFECYCLES)[number]; dependencies: Dependency[] }
  | { kind: 'registerMany'; versions: string[]; name: string }
  | { kind: 'lifecycle'; target: number; lifecycle: (typeof LIFECYCLES)[number] }
  | { kind: 'dependencies'; target: number; dependencies: Dependency[] };

const dependency: fc.Arbitrary<Dependency> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ name: fc.constantFrom(...NAMES, 'ghost'), version_spec: fc.constantFrom(...RANGES) }) },
  // A pin to a component registered earlier, by its place in the run, or past the end to a uuid nothing holds.
  { weight: 1, arbitrary: fc.record({ pin: fc.nat(20) }) },
);
const dependencies = fc.array(dependency, { maxLength: 3 });
const steps: fc.Arbitrary<Step[]> = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('register' as const), name: fc.constantFrom(...NAMES), version: fc.constantFrom(...VERSIONS), lifecycle: fc.constantFrom(...LIFECYCLES), dependencies }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('registerMany' as const), name: fc.constantFrom(...NAMES), versions: fc.uniqueArray(fc.constantFrom(...VERSIONS), { minLength: 1, maxLength: 3 }) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('lifecycle' as const), target: fc.nat(20), lifecycle: fc.constantFrom(...LIFECYCLES) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('dependencies' as const), target: fc.nat(20), dependencies }) },
  ),
  { minLength: 1, maxLength: 14 },
);

const GHOST = '00000000-0000-4000-8000-000000000000';

describe('stored resolutions', () => {
  it('equal the resolution rule after every write, whatever the writes (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(steps, async (run) => {
        await registry.reset();
        const uuids: string[] = [];
        const declared = (list: Dependency[]) =>
          list.map((entry) => ('pin' in entry ? { uuid: uuids[entry.pin] ?? GHOST } : entry));
        for (const step of run) {
          // Refusals (a taken name and version, a cycle) are part of the run: they must leave the resolutions as they were.
          if (step.kind === 'register') {
            const document = metadata({ name: step.name, version: step.version, lifecycle: step.lifecycle, dependencies: declared(step.dependencies) });
            const result = await registry.graphql(REGISTER, { m: document });
            if (!result.errors) uuids.push(document.uuid as string);
          } else if (step.kind === 'registerMany') {
            const documents = step.versions.map((version) => metadata({ name: step.name, version }));
            const result = await registry.graphql(REGISTER_MANY, { m: documents });
            if (!result.errors) uuids.push(...documents.map((document) => document.uuid as string));
          } else if (uuids.length > 0) {
            const uuid = uuids[step.target % uuids.length]!;
            const patch = step.kind === 'lifecycle' ? { lifecycle: step.lifecycle } : { dependencies: declared(step.dependencies) };
            await registry.graphql(UPDATE, { uuid, patch });
          }
          expect(await stale()).toEqual([]);
        }
      }),
      { numRuns: testEngine === 'postgres' ? 15 : 25 },
    );
  });

  it('are what a bulk load computes (registry_resolve_all), row for row', async () => {
    await registry.reset();
    const lib = metadata({ name: 'lib', version: '1.0.0' });
    const app = metadata({ name: 'app', dependencies: [{ name: 'lib', version_spec: '^1' }, { uuid: lib.uuid }, { name: 'none', version_spec: '*' }] });
    await registry.graphql(REGISTER_MANY, { m: [lib, app] });
    const read = () => registry.db.withSession((session) => session.query(`SELECT * FROM resolved_dependencies ORDER BY component_uuid, position`));
    const kept = await read();
    expect(kept).toEqual([
      { component_uuid: app.uuid, position: 0, version_spec: '^1', resolved_uuid: lib.uuid },
      { component_uuid: app.uuid, position: 1, version_spec: null, resolved_uuid: lib.uuid },
      { component_uuid: app.uuid, position: 2, version_spec: '*', resolved_uuid: null },
    ]);
    await registry.db.withSession((session) => session.query('SELECT registry_resolve_all()'));
    expect(await read()).toEqual(kept);
  });
});

// Writes at once on PostgreSQL: each stores resolutions from what it sees under the write-order lock, so the last to
// commit must not leave what an earlier one saw. Versions of one name come and go while its dependents come.
describe.skipIf(testEngine !== 'postgres')('stored resolutions under concurrent writes', () => {
  it('equal the rule once every write has committed, and no write deadlocks', async () => {
    for (let round = 0; round < 4; round += 1) {
      await registry.reset();
      const versions = ['1.0.0', '1.1.0', '1.2.0', '1.3.0', '1.4.0', '1.5.0'].map((version) => metadata({ name: 'lib', version }));
      await registry.graphql(REGISTER, { m: versions[0] });
      const writes: Array<Promise<{ errors?: unknown }>> = [];
      for (const [index, version] of versions.slice(1).entries()) {
        writes.push(registry.graphql(REGISTER, { m: version }));
        writes.push(registry.graphql(REGISTER, { m: metadata({ name: `app-${index}`, dependencies: [{ name: 'lib', version_spec: '^1' }] }) }));
        writes.push(registry.graphql(UPDATE, { uuid: versions[0]!.uuid, patch: { lifecycle: index % 2 === 0 ? 'retired' : 'active' } }));
        writes.push(registry.graphql(REGISTER, { m: metadata({ name: `pin-${index}`, dependencies: [{ uuid: version.uuid }] }) }));
      }
      const results = await Promise.all(writes);
      expect(results.flatMap((result) => (result.errors as unknown[] | undefined) ?? [])).toEqual([]);
      expect(await stale()).toEqual([]);
      const [newest] = await registry.db.withSession((session) =>
        session.query<{ resolved: string[] }>(`SELECT array_agg(DISTINCT resolved_uuid::text) AS resolved FROM resolved_dependencies r JOIN components c ON c.uuid = r.component_uuid WHERE c.name LIKE 'app-%'`),
      );
      expect(newest!.resolved).toEqual([versions[5]!.uuid]);
    }
  });
});

// A uuid nothing holds yet resolves once it is registered.
describe('a pin to a uuid registered later', () => {
  it('resolves from the moment that uuid is registered', async () => {
    await registry.reset();
    const later = randomUUID();
    await registry.graphql(REGISTER, { m: metadata({ name: 'app', dependencies: [{ uuid: later }] }) });
    const resolved = () => registry.db.withSession((session) => session.query<{ resolved_uuid: string | null }>(`SELECT resolved_uuid FROM resolved_dependencies`));
    expect(await resolved()).toEqual([{ resolved_uuid: null }]);
    await registry.graphql(REGISTER, { m: metadata({ uuid: later, name: 'lib' }) });
    expect(await resolved()).toEqual([{ resolved_uuid: later }]);
    expect(await stale()).toEqual([]);
  });
});
