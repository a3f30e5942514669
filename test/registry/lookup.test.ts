import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveRange } from '../../src/resolvers/ranges.js';
import { metadata, registerAll, registryHarness, type RegistryHarness } from '../support/registry.js';

let registry: RegistryHarness;
const uuids: Record<string, string> = {};

beforeAll(async () => {
  registry = await registryHarness();
  const versions: Array<[string, 'active' | 'retired' | 'deprecated']> = [
    ['1.0.0', 'active'],
    ['1.2.0', 'deprecated'],
    ['1.3.0-beta.1', 'active'],
    ['1.3.0-beta.2', 'retired'],
    ['2.0.0', 'retired'],
    ['2.1.0-rc.1', 'active'],
  ];
  const documents = versions.map(([version, lifecycle]) => metadata({ name: 'yaml-lint', version, lifecycle }));
  for (const document of documents) uuids[document.version as string] = document.uuid as string;
  await registerAll(registry, documents);
});
afterAll(() => registry.close());

const BY_NAME = `query($name: String!, $spec: String) { component(name: $name, versionSpec: $spec) { uuid version lifecycle } }`;

describe('component(name, versionSpec) resolves with npm semantics, never to a retired version', () => {
  it.each([
    [undefined, '1.2.0'],
    ['*', '1.2.0'],
    // Empty means any version, as in npm.
    ['', '1.2.0'],
    ['  ', '1.2.0'],
    ['^1.0.0', '1.2.0'],
    ['~1.0.0', '1.0.0'],
    ['1.0.0', '1.0.0'],
    ['>=1.3.0-beta.0 <2', '1.3.0-beta.1'],
    ['^1.3.0-beta.2', null],
    ['>=2.0.0', null],
    ['2.0.0', null],
    ['>=2.1.0-rc.0', '2.1.0-rc.1'],
    ['^3', null],
  ])('%s chooses %s', async (spec, version) => {
    const result = await registry.graphql(BY_NAME, { name: 'yaml-lint', spec });
    expect(result.errors).toBeUndefined();
    expect(result.data!.component?.version ?? null).toBe(version);
  });

  it('answers null for a name nobody registered', async () => {
    const result = await registry.graphql(BY_NAME, { name: 'no-such-thing' });
    expect(result).toEqual({ data: { component: null } });
  });

  it('still finds a retired version by uuid', async () => {
    const result = await registry.graphql(`query($uuid: UUID!) { component(uuid: $uuid) { version lifecycle } }`, {
      uuid: uuids['2.0.0'],
    });
    expect(result.data!.component).toEqual({ version: '2.0.0', lifecycle: 'RETIRED' });
  });

  it('finds by an upper-case uuid', async () => {
    const result = await registry.graphql(`query($uuid: UUID!) { component(uuid: $uuid) { version } }`, {
      uuid: uuids['1.0.0']!.toUpperCase(),
    });
    expect(result.data!.component).toEqual({ version: '1.0.0' });
  });

  it.each(['^^1', 'latest', '1.0.0 ||| 2'])('refuses the invalid range %j with INVALID_VERSION_SPEC', async (spec) => {
    const result = await registry.graphql(BY_NAME, { name: 'yaml-lint', spec });
    expect(result.errors![0]!.extensions).toEqual({ code: 'INVALID_VERSION_SPEC', versionSpec: spec });
    expect(result.errors![0]!.message).toBe(`"${spec}" is not a valid npm version range (examples: 1.4.2, ^1.4.0, >=1 <2, *)`);
  });
});

describe('component arguments', () => {
  it.each([
    ['both uuid and name', `{ component(uuid: "${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}", name: "x") { uuid } }`, /either uuid or name, not both/],
    ['neither', '{ component { uuid } }', /give a uuid, or a name/],
    ['a range with a uuid', `{ component(uuid: "${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}", versionSpec: "^1") { uuid } }`, /versionSpec goes with name/],
    ['a malformed uuid', '{ component(uuid: "abc") { uuid } }', /not a valid UUID/],
  ])('refuses %s with BAD_USER_INPUT', async (_label, query, message) => {
    const result = await registry.graphql(query);
    expect(result.errors![0]!.extensions.code).toBe('BAD_USER_INPUT');
    expect(result.errors![0]!.message).toMatch(message);
  });
});

describe('resolveRange', () => {
  const candidates = [
    { version: '1.0.0', lifecycle: 'ACTIVE' },
    { version: '1.5.0', lifecycle: 'RETIRED' },
    { version: '1.4.0', lifecycle: 'experimental' },
  ];

  it('takes the highest satisfying version that is not retired', () => {
    expect(resolveRange(candidates, '^1')).toEqual({ version: '1.4.0', lifecycle: 'experimental' });
  });

  it('takes nothing when nothing satisfies', () => {
    expect(resolveRange(candidates, '>=2')).toBeNull();
  });
});
