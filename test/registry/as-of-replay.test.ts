import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metadata, REGISTER, registryHarness, UPDATE, type RegistryHarness } from '../support/registry.js';

// A random sequence of registers and updates, replayed: after every step the registry is read as it stands (a
// snapshot), and read again as of the instant of that step's write. The two must agree, right away and after
// every later step (a past answer never changes).

let registry: RegistryHarness;
beforeAll(async () => {
  registry = await registryHarness();
});
afterAll(() => registry.close());

const NAMES = ['a', 'b', 'c'] as const;
const VERSIONS = ['1.0.0', '1.1.0', '2.0.0', '1.2.0-beta.1'] as const;
const SPECS = ['^1', '*', '>=1.1.0', '~1.0.0', '^2', '^1.2.0-beta.0', '1.0.0 || 2.0.0'] as const;
const LIFECYCLES = ['experimental', 'active', 'deprecated', 'retired'] as const;

type Declared = { name: string; spec: string } | { pin: number };
type Step =
  | { kind: 'register'; name: string; version: string; lifecycle: string; dependencies: Declared[] }
  | { kind: 'update'; target: number; lifecycle?: string; description?: string; tags?: string[]; dependencies?: Declared[] };

const declared: fc.Arbitrary<Declared> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ name: fc.constantFrom(...NAMES), spec: fc.constantFrom(...SPECS) }) },
  { weight: 1, arbitrary: fc.record({ pin: fc.nat(20) }) },
);
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('register' as const),
    name: fc.constantFrom(...NAMES),
    version: fc.constantFrom(...VERSIONS),
    lifecycle: fc.constantFrom(...LIFECYCLES),
    dependencies: fc.array(declared, { maxLength: 2 }),
  }),
  fc.record(
    {
      kind: fc.constant('update' as const),
      target: fc.nat(20),
      lifecycle: fc.constantFrom(...LIFECYCLES),
      description: fc.constantFrom('one', 'two'),
      tags: fc.subarray(['x', 'y', 'z']),
      dependencies: fc.array(declared, { maxLength: 2 }),
    },
    { requiredKeys: ['kind', 'target'] },
  ),
);

const COMPONENT_FIELDS = `uuid name version lifecycle type description tags revision createdAt updatedAt metadata
  history(first: 3) { revision diff at } dependencies { name versionSpec uuid resolved { uuid lifecycle revision } } dependents { uuid }`;

/** Queries reading everything the registry holds (each uuid, each name by each range, each graph both ways), within the alias limit. */
function snapshotQueries(uuids: readonly string[], roots: readonly string[], asOf: string | null): string[] {
  const at = asOf === null ? '' : `, asOf: "${asOf}"`;
  const parts = [
    ...uuids.map((uuid, index) => `u${index}: component(uuid: "${uuid}"${at}) { ${COMPONENT_FIELDS} }`),
    ...NAMES.flatMap((name) => SPECS.map((spec, index) => `n${name}${index}: component(name: "${name}", versionSpec: "${spec}"${at}) { uuid lifecycle revision }`)),
    ...roots.flatMap((root, index) => [
      `g${index}: dependencyGraph(root: "${root}"${at}) { nodes { depth component { uuid lifecycle revision tags description updatedAt } }
         edges { from to versionSpec } unresolved { from name versionSpec uuid } cycles isDag truncated }`,
      `d${index}: dependencyGraph(root: "${root}", direction: DEPENDENTS${at}) { nodes { depth component { uuid metadata revision } }
         edges { from to versionSpec } cycles truncated }`,
    ]),
  ];
  const queries: string[] = [];
  for (let start = 0; start < parts.length; start += 25) queries.push(`{ ${parts.slice(start, start + 25).join('\n')} }`);
  return queries;
}

async function read(uuids: readonly string[], roots: readonly string[], asOf: string | null) {
  const data: Record<string, unknown> = {};
  for (const query of snapshotQueries(uuids, roots, asOf)) {
    const result = await registry.graphql(query);
    expect(result.errors).toBeUndefined();
    Object.assign(data, result.data);
  }
  return data;
}

function documentOf(step: Extract<Step, { kind: 'register' }>, uuid: string, registered: readonly string[]) {
  return metadata({ uuid, name: step.name, version: step.version, lifecycle: step.lifecycle as never, dependencies: declarationsOf(step.dependencies, registered) });
}

function declarationsOf(dependencies: readonly Declared[], registered: readonly string[]) {
  return dependencies.flatMap((dependency): Array<{ name: string; version_spec: string } | { uuid: string }> => {
    if ('name' in dependency) return [{ name: dependency.name, version_spec: dependency.spec }];
    return registered.length === 0 ? [] : [{ uuid: registered[dependency.pin % registered.length]! }];
  });
}

describe('asOf replays the registry', () => {
  it('reads, as of each step, what a snapshot taken at that step read', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), async (steps) => {
        await registry.reset();
        const uuids = steps.map(() => randomUUID());
        const registered: string[] = [];
        const snapshots: Array<{ at: string; roots: string[]; data: unknown }> = [];
        for (const [index, step] of steps.entries()) {
          if (step.kind === 'register') {
            const result = await registry.graphql(REGISTER, { metadata: documentOf(step, uuids[index]!, registered) });
            if (!result.errors) registered.push(uuids[index]!);
          } else if (registered.length > 0) {
            const { kind, target, dependencies, ...fields } = step;
            const patch = { ...fields, ...(dependencies ? { dependencies: declarationsOf(dependencies, registered) } : {}) };
            await registry.graphql(UPDATE, { uuid: registered[target % registered.length], patch });
          }
          const [row] = await registry.db.query<{ at: Date | null }>('SELECT max(at) AS at FROM component_revisions');
          // Later writes land on a later millisecond, so this instant holds this step's writes and none after.
          await sleep(3);
          const at = (row!.at ?? new Date(Date.now() - 1000)).toISOString();
          const roots = [...registered];
          const data = await read(uuids, roots, null);
          snapshots.push({ at, roots, data });
          expect(await read(uuids, roots, at)).toEqual(data);
        }
        for (const { at, roots, data } of snapshots) expect(await read(uuids, roots, at)).toEqual(data);
      }),
      { numRuns: 6 },
    );
  }, 600_000);
});
