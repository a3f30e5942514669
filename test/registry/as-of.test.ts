import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { componentsAsOf, lookupByNameAsOf, lookupByUuidAsOf } from '../../src/resolvers/as-of.js';
import { metadata, REGISTER, registryHarness, UPDATE, type RegistryHarness } from '../support/registry.js';

// The registry as it stood at an instant: component(…, asOf) and dependencyGraph(…, asOf).

let registry: RegistryHarness;

/** The `at` of the latest write, as the instant that write is the last one of (`at` is inclusive). */
async function lastWrite(): Promise<string> {
  const [row] = await registry.db.query<{ at: Date }>('SELECT max(at) AS at FROM component_revisions');
  // Writes that follow land on a later millisecond.
  await sleep(3);
  return row!.at.toISOString();
}

async function register(fields: Parameters<typeof metadata>[0]): Promise<string> {
  const document = metadata(fields);
  const result = await registry.graphql(REGISTER, { metadata: document });
  expect(result.errors).toBeUndefined();
  return document.uuid as string;
}

async function update(uuid: string, patch: Record<string, unknown>): Promise<void> {
  const result = await registry.graphql(UPDATE, { uuid, patch });
  expect(result.errors).toBeUndefined();
}

const uuids: Record<string, string> = {};
const at: Record<string, string> = {};

beforeAll(async () => {
  registry = await registryHarness();
  at.before = new Date(Date.now() - 60_000).toISOString();
  uuids.lib100 = await register({ name: 'lib', version: '1.0.0', lifecycle: 'active' });
  at.A = await lastWrite();
  uuids.lib110 = await register({ name: 'lib', version: '1.1.0', lifecycle: 'active' });
  uuids.app = await register({ name: 'app', version: '1.0.0', dependencies: [{ name: 'lib', version_spec: '^1' }] });
  at.B = await lastWrite();
  await update(uuids.lib110!, { lifecycle: 'retired' });
  at.C = await lastWrite();
  await update(uuids.app!, { description: 'now with tools', dependencies: [{ name: 'lib', version_spec: '^1' }, { name: 'tool', version_spec: '*' }] });
  at.D = await lastWrite();
  uuids.tool = await register({ name: 'tool', version: '1.0.0', dependencies: [{ uuid: uuids.lib100 }] });
  at.E = await lastWrite();
});
afterAll(() => registry.close());

const BY_NAME = `query($name: String!, $asOf: DateTime) { component(name: $name, asOf: $asOf) { uuid version lifecycle revision } }`;
const BY_UUID = `query($uuid: UUID!, $asOf: DateTime) {
  component(uuid: $uuid, asOf: $asOf) {
    version lifecycle revision description updatedAt metadata
    history { revision } dependencies { name versionSpec uuid resolved { version lifecycle revision } } dependents { name version }
  } }`;
const GRAPH = `query($root: UUID!, $direction: GraphDirection, $asOf: DateTime) {
  dependencyGraph(root: $root, direction: $direction, asOf: $asOf) {
    nodes { depth component { name version lifecycle revision } }
    edges { versionSpec } unresolved { name versionSpec } truncated } }`;

describe('component(name, asOf)', () => {
  it.each([
    ['before', null],
    ['A', '1.0.0'],
    ['B', '1.1.0'],
    // 1.1.0 was retired at C: the range no longer chose it.
    ['C', '1.0.0'],
    ['E', '1.0.0'],
  ])('at %s chooses %s', async (instant, version) => {
    const result = await registry.graphql(BY_NAME, { name: 'lib', asOf: at[instant] });
    expect(result.errors).toBeUndefined();
    expect(result.data!.component?.version ?? null).toBe(version);
  });
});

describe('component(uuid, asOf)', () => {
  it('is null before the component was registered', async () => {
    const result = await registry.graphql(BY_UUID, { uuid: uuids.lib110, asOf: at.A });
    expect(result).toEqual({ data: { component: null } });
  });

  it('has the lifecycle, revision and history of then', async () => {
    const atB = await registry.graphql(BY_UUID, { uuid: uuids.lib110, asOf: at.B });
    expect(atB.data!.component).toMatchObject({ lifecycle: 'ACTIVE', revision: 1, history: [{ revision: 1 }] });
    const atC = await registry.graphql(BY_UUID, { uuid: uuids.lib110, asOf: at.C });
    expect(atC.data!.component).toMatchObject({ lifecycle: 'RETIRED', revision: 2, history: [{ revision: 2 }, { revision: 1 }] });
    expect(atC.data!.component.updatedAt).toBe(at.C);
  });

  it('resolves its declarations of then over the registry of then', async () => {
    const atB = await registry.graphql(BY_UUID, { uuid: uuids.app, asOf: at.B });
    expect(atB.errors).toBeUndefined();
    expect(atB.data!.component).toMatchObject({
      description: null,
      revision: 1,
      dependencies: [{ name: 'lib', versionSpec: '^1', uuid: null, resolved: { version: '1.1.0', lifecycle: 'ACTIVE', revision: 1 } }],
    });
    const atD = await registry.graphql(BY_UUID, { uuid: uuids.app, asOf: at.D });
    expect(atD.data!.component).toMatchObject({
      description: 'now with tools',
      revision: 2,
      dependencies: [
        { name: 'lib', resolved: { version: '1.0.0', lifecycle: 'ACTIVE' } },
        { name: 'tool', versionSpec: '*', resolved: null },
      ],
    });
    expect(atD.data!.component.metadata.description).toBe('now with tools');
  });

  it('has the dependents of then', async () => {
    const atB = await registry.graphql(BY_UUID, { uuid: uuids.lib100, asOf: at.B });
    expect(atB.data!.component.dependents).toEqual([]);
    const atD = await registry.graphql(BY_UUID, { uuid: uuids.lib100, asOf: at.D });
    expect(atD.data!.component.dependents).toEqual([{ name: 'app', version: '1.0.0' }]);
    const atE = await registry.graphql(BY_UUID, { uuid: uuids.lib100, asOf: at.E });
    expect(atE.data!.component.dependents).toEqual([
      { name: 'app', version: '1.0.0' },
      { name: 'tool', version: '1.0.0' },
    ]);
  });

  it('answers now as the current row does', async () => {
    const now = await registry.graphql(BY_UUID, { uuid: uuids.app });
    const asOf = await registry.graphql(BY_UUID, { uuid: uuids.app, asOf: new Date(Date.now() + 60_000).toISOString() });
    expect(asOf).toEqual(now);
  });

  it('refuses a date that is not one', async () => {
    const result = await registry.graphql(BY_UUID, { uuid: uuids.app, asOf: 'yesterday' });
    expect(result.errors![0]!.message).toMatch(/asOf/);
  });
});

describe('dependencyGraph(asOf)', () => {
  const versions = async (variables: Record<string, unknown>) => {
    const result = await registry.graphql(GRAPH, variables);
    expect(result.errors).toBeUndefined();
    return result.data!.dependencyGraph;
  };

  it.each([
    ['B', ['app@1.0.0', 'lib@1.1.0'], []],
    ['C', ['app@1.0.0', 'lib@1.0.0'], []],
    ['D', ['app@1.0.0', 'lib@1.0.0'], [{ name: 'tool', versionSpec: '*' }]],
    ['E', ['app@1.0.0', 'lib@1.0.0', 'tool@1.0.0'], []],
  ])('walks the declarations and resolutions of %s', async (instant, nodes, unresolved) => {
    const graph = await versions({ root: uuids.app, asOf: at[instant] });
    expect(graph.nodes.map((node: any) => `${node.component.name}@${node.component.version}`)).toEqual(nodes);
    expect(graph.unresolved).toEqual(unresolved);
  });

  it('walks towards the dependents of then', async () => {
    const atB = await versions({ root: uuids.lib100, direction: 'DEPENDENTS', asOf: at.B });
    expect(atB.nodes.map((node: any) => node.component.name)).toEqual(['lib']);
    const atE = await versions({ root: uuids.lib100, direction: 'DEPENDENTS', asOf: at.E });
    expect(atE.nodes.map((node: any) => `${node.depth}:${node.component.name}`).sort()).toEqual(['0:lib', '1:app', '1:tool']);
  });

  it('serves the past lifecycle and revision of each node', async () => {
    const graph = await versions({ root: uuids.lib110, asOf: at.B });
    expect(graph.nodes).toEqual([{ depth: 0, component: { name: 'lib', version: '1.1.0', lifecycle: 'ACTIVE', revision: 1 } }]);
  });

  it('refuses a root not registered yet with NOT_FOUND naming the instant', async () => {
    const result = await registry.graphql(GRAPH, { root: uuids.tool, asOf: at.D });
    expect(result.errors![0]!.extensions.code).toBe('NOT_FOUND');
    expect(result.errors![0]!.message).toBe(`no component had uuid ${uuids.tool} at ${at.D}`);
  });
});

describe('answers as of an instant and the response cache', () => {
  it('keeps a past answer apart from the present one across a write', async () => {
    const query = `query($uuid: UUID!, $asOf: DateTime) { component(uuid: $uuid, asOf: $asOf) { revision description } }`;
    const uuid = await register({ name: 'cached', version: '1.0.0', description: 'first' });
    const first = await lastWrite();
    const past = await registry.graphql(query, { uuid, asOf: first });
    expect(past.data!.component).toEqual({ revision: 1, description: 'first' });
    expect(await registry.graphql(query, { uuid })).toEqual(past);
    await update(uuid, { description: 'second' });
    expect(await registry.graphql(query, { uuid, asOf: first })).toEqual(past);
    expect((await registry.graphql(query, { uuid })).data!.component).toEqual({ revision: 2, description: 'second' });
  });
});

describe('statements per operation as of an instant', () => {
  const statementsOf = async (query: string, variables: Record<string, unknown>) => {
    registry.queries.length = 0;
    const result = await registry.graphql(query, variables);
    expect(result.errors).toBeUndefined();
    return registry.queries.length;
  };

  it('dependencyGraph(asOf): one statement, whole rows one more', async () => {
    expect(await statementsOf(GRAPH, { root: uuids.app, asOf: at.D })).toBe(1);
    const whole = `query($root: UUID!, $asOf: DateTime) { dependencyGraph(root: $root, asOf: $asOf) { nodes { component { metadata } } } }`;
    expect(await statementsOf(whole, { root: uuids.app, asOf: at.D })).toBe(2);
  });

  it('component(asOf) with history, resolutions and dependents: one statement each, whatever the width', async () => {
    // The row, its history, the resolutions and their rows, the dependents (none, so no rows to read).
    expect(await statementsOf(BY_UUID, { uuid: uuids.app, asOf: at.E })).toBe(5);
    // Dependents, and their rows; no dependencies to resolve.
    expect(await statementsOf(BY_UUID, { uuid: uuids.lib100, asOf: at.E })).toBe(4);
  });
});

describe('the as-of resolvers on their own', () => {
  const ctx = () => ({ db: registry.db, actor: null });

  it('refuse an instant that is not one and a uuid that is not one', async () => {
    await expect(componentsAsOf(registry.db, [uuids.app!], new Date(Number.NaN))).rejects.toMatchObject({ code: 'BAD_USER_INPUT', argument: 'asOf' });
    await expect(lookupByUuidAsOf(ctx(), 'abc', new Date())).rejects.toMatchObject({ code: 'BAD_USER_INPUT', argument: 'uuid' });
    await expect(lookupByNameAsOf(ctx(), 'lib', '^^1', new Date())).rejects.toMatchObject({ code: 'INVALID_VERSION_SPEC' });
  });

  it('read nothing for no uuids, and find an upper-case uuid', async () => {
    expect(await componentsAsOf(registry.db, [], new Date())).toEqual([]);
    expect(await lookupByUuidAsOf(ctx(), uuids.lib100!.toUpperCase(), new Date(at.A!))).toMatchObject({ version: '1.0.0', revision: 1 });
  });
});
