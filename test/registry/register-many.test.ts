import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAX_BATCH } from '../../src/resolvers/register.js';
import { GRAPH } from '../support/graph.js';
import { metadata, REGISTER, registryHarness, tableCounts, type RegistryHarness } from '../support/registry.js';

let registry: RegistryHarness;
beforeAll(async () => {
  registry = await registryHarness();
});
afterAll(() => registry.close());
beforeEach(() => registry.reset());

const REGISTER_MANY = /* GraphQL */ `
  mutation RegisterMany($metadata: [JSON!]!) {
    registerMany(metadata: $metadata) { registered unchanged results { registered uuid component { name version revision } } }
  }
`;
const FEED = '{ changes { edges { node { kind uuid revision } } } }';

const dependsOn = (name: string, range = '^1') => [{ name, version_spec: range }];

/** A small layered graph, listed top first: each document before what it depends on. */
function topDown() {
  return [
    metadata({ name: 'app', dependencies: [...dependsOn('lib-a'), ...dependsOn('lib-b')] }),
    metadata({ name: 'lib-a', dependencies: dependsOn('core') }),
    metadata({ name: 'lib-b', dependencies: dependsOn('core') }),
    metadata({ name: 'core' }),
  ];
}

async function feed(): Promise<Array<{ kind: string; uuid: string; revision: number }>> {
  const result = await registry.graphql(FEED);
  return result.data!.changes.edges.map((edge: { node: unknown }) => edge.node);
}

describe('registerMany', () => {
  it('registers a batch in dependency order, answering in the order given', async () => {
    const documents = topDown();
    const result = await registry.graphql(REGISTER_MANY, { metadata: documents });
    expect(result.errors).toBeUndefined();
    expect(result.data!.registerMany).toMatchObject({ registered: 4, unchanged: 0 });
    expect(result.data!.registerMany.results.map((r: { uuid: string; registered: boolean }) => [r.uuid, r.registered])).toEqual(
      documents.map((document) => [document.uuid, true]),
    );
    // What each depends on is in the feed before it: core, then the libraries, then the app.
    expect((await feed()).map((change) => change.uuid)).toEqual([3, 1, 2, 0].map((index) => documents[index]!.uuid));
    const graph = await registry.graphql(GRAPH, { root: documents[0]!.uuid });
    expect(graph.data!.dependencyGraph).toMatchObject({ isDag: true, unresolved: [] });
    expect(graph.data!.dependencyGraph.nodes).toHaveLength(4);
  });

  it('is idempotent: the same batch again changes nothing and says so', async () => {
    const documents = topDown();
    await registry.graphql(REGISTER_MANY, { metadata: documents });
    const before = await tableCounts(registry);
    const again = await registry.graphql(REGISTER_MANY, { metadata: [documents[3], metadata({ name: 'new' }), documents[0]] });
    expect(again.data!.registerMany).toMatchObject({ registered: 1, unchanged: 2 });
    expect(again.data!.registerMany.results.map((r: { registered: boolean }) => r.registered)).toEqual([false, true, false]);
    expect(await tableCounts(registry)).toEqual({ components: before.components! + 1, revisions: before.revisions! + 1, changes: before.changes! + 1 });
  });

  it('resolves ranges against what is already registered as well as the batch', async () => {
    const existing = metadata({ name: 'core', version: '1.5.0' });
    await registry.graphql(REGISTER, { metadata: existing });
    const app = metadata({ name: 'app', dependencies: dependsOn('core') });
    const result = await registry.graphql(REGISTER_MANY, { metadata: [app, metadata({ name: 'core', version: '1.2.0' })] });
    expect(result.errors).toBeUndefined();
    const graph = await registry.graphql(GRAPH, { root: app.uuid });
    expect(graph.data!.dependencyGraph.edges).toEqual([{ from: app.uuid, to: existing.uuid, versionSpec: '^1' }]);
  });
});

describe('registerMany refuses the whole batch, naming the document', () => {
  it.each([
    ['an invalid document', (documents: Record<string, unknown>[]) => {
      documents[2] = { ...documents[2], version: 'one' };
    }, 'METADATA_VALIDATION_ERROR', 2],
    ['a document whose uuid holds another', (documents: Record<string, unknown>[]) => {
      documents[1] = { ...documents[1], uuid: documents[3]!.uuid, name: 'other' };
    }, 'ALREADY_EXISTS', 1],
    ['a second uuid for a name and version in the batch', (documents: Record<string, unknown>[]) => {
      documents[0] = { ...documents[0], name: 'core' };
    }, 'ALREADY_EXISTS', 0],
    ['a cycle within the batch', (documents: Record<string, unknown>[]) => {
      documents[3] = { ...documents[3], dependencies: dependsOn('app') };
    }, 'DEPENDENCY_CYCLE', 0],
  ])('%s', async (_label, spoil, code, index) => {
    await registry.graphql(REGISTER, { metadata: metadata({ name: 'unrelated' }) });
    const before = await tableCounts(registry);
    const documents = topDown();
    spoil(documents);
    const result = await registry.graphql(REGISTER_MANY, { metadata: documents });
    expect(result.data).toBeNull();
    expect(result.errors![0]!.extensions).toMatchObject({ code, index });
    expect(result.errors![0]!.message).toMatch(new RegExp(`^metadata\\[${index}\\]: `));
    expect(await tableCounts(registry)).toEqual(before);
  });

  it('names the JSON Pointer of each problem in an invalid document', async () => {
    const documents = [metadata({ name: 'fine' }), metadata({ name: 'bad', dependencies: [{ name: 'core', version_spec: 'not a range' }] })];
    const result = await registry.graphql(REGISTER_MANY, { metadata: documents });
    expect(result.errors![0]!.extensions).toMatchObject({ code: 'METADATA_VALIDATION_ERROR', index: 1 });
    expect(result.errors![0]!.extensions.errors.map((problem: { pointer: string }) => problem.pointer)).toEqual(['/dependencies/0/version_spec']);
  });

  it('a cycle through what is already registered', async () => {
    const core = metadata({ name: 'core', version: '1.0.0', dependencies: dependsOn('app') });
    await registry.graphql(REGISTER, { metadata: core });
    const result = await registry.graphql(REGISTER_MANY, { metadata: [metadata({ name: 'lib' }), metadata({ name: 'app', dependencies: dependsOn('core') })] });
    expect(result.errors![0]!.extensions).toMatchObject({ code: 'DEPENDENCY_CYCLE', index: 1 });
    expect(result.errors![0]!.message).toMatch(/core@1\.0\.0 → app@1\.0\.0 → core@1\.0\.0|app@1\.0\.0 → core@1\.0\.0 → app@1\.0\.0/);
  });

  it.each([
    [[], /at least one document/],
    [Array.from({ length: MAX_BATCH + 1 }, () => ({})), /holds 1001 documents; at most 1000/],
  ])('%#: a batch of the wrong size', async (documents, message) => {
    const result = await registry.graphql(REGISTER_MANY, { metadata: documents });
    expect(result.errors![0]!.extensions.code).toBe('BAD_USER_INPUT');
    expect(result.errors![0]!.message).toMatch(message);
  });
});
