import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { schema } from '../../src/schema/index.js';
import { GRAPH, registerGraph } from '../support/graph.js';
import { metadata, REGISTER, registryHarness, UPDATE, type RegistryHarness } from '../support/registry.js';

let registry: RegistryHarness;
beforeAll(async () => {
  registry = await registryHarness();
});
afterAll(() => registry.close());
beforeEach(() => registry.reset());

interface Acknowledged {
  readonly uuid: string;
  readonly revision: number;
}

/**
 * Each mutation field, run the ways that do and do not change something, with the changes its answer
 * acknowledges. The first test fails when a mutation is added without an entry here.
 */
const MUTATIONS: Record<string, (existing: string) => Array<{ query: string; variables: Record<string, unknown>; acknowledged: (data: any) => Acknowledged[] }>> = {
  register: () => {
    const document = metadata({ name: 'fresh' });
    const run = {
      query: REGISTER,
      variables: { metadata: document },
      acknowledged: (data: any) => (data.register.registered ? [{ uuid: data.register.uuid, revision: 1 }] : []),
    };
    return [run, run];
  },
  registerMany: (existing) => {
    const documents = [metadata({ name: 'batch-a' }), metadata({ name: 'batch-b', dependencies: [{ name: 'batch-a', version_spec: '*' }] })];
    const query = 'mutation($m: [JSON!]!) { registerMany(metadata: $m) { results { registered uuid } } }';
    const acknowledged = (data: any) =>
      data.registerMany.results.filter((r: { registered: boolean }) => r.registered).map((r: { uuid: string }) => ({ uuid: r.uuid, revision: 1 }));
    return [
      { query, variables: { m: documents }, acknowledged },
      { query, variables: { m: [...documents, metadata({ name: 'batch-c' })] }, acknowledged },
      { query, variables: { m: [metadata({ name: 'refused', uuid: existing })] }, acknowledged: () => [] },
    ];
  },
  update: (existing) => {
    const acknowledged = (data: any) => (data.update.changed ? [{ uuid: existing, revision: data.update.revision }] : []);
    return [
      { query: UPDATE, variables: { uuid: existing, patch: { owner: 'someone' } }, acknowledged },
      { query: UPDATE, variables: { uuid: existing, patch: { owner: 'someone' } }, acknowledged },
      { query: UPDATE, variables: { uuid: existing, patch: { dependencies: [{ name: 'fresh', version_spec: '*' }] } }, acknowledged },
      { query: UPDATE, variables: { uuid: existing, patch: { version: '9.9.9' } }, acknowledged },
    ];
  },
};

async function feed(): Promise<Acknowledged[]> {
  const result = await registry.graphql('{ changes(first: 1000) { edges { node { uuid revision } } } }');
  return result.data!.changes.edges.map((edge: { node: Acknowledged }) => edge.node);
}

describe('every mutation goes through the one write unit', () => {
  it('so each acknowledged change leaves exactly one change-feed row, and nothing else does', async () => {
    expect(Object.keys(schema.getMutationType()!.getFields()).sort()).toEqual(Object.keys(MUTATIONS).sort());
    for (const [field, runs] of Object.entries(MUTATIONS)) {
      await registry.reset();
      const existing = metadata({ name: 'existing' });
      await registry.graphql(REGISTER, { metadata: existing });
      const expected = await feed();
      for (const { query, variables, acknowledged } of runs(existing.uuid as string)) {
        const result = await registry.graphql(query, variables);
        expected.push(...(result.data ? acknowledged(result.data) : []));
        expect(await feed(), `${field} ${JSON.stringify(variables)}`).toEqual(expected);
      }
    }
  });
});

describe('writes racing each other', () => {
  it('never commit a cycle: of a ring registered all at once, every write but the one closing it lands', async () => {
    const size = 6;
    for (let round = 0; round < 5; round += 1) {
      await registry.reset();
      const names = Array.from({ length: size }, (_, index) => `ring-${index}`);
      const documents = names.map((name, index) => metadata({ name, dependencies: [{ name: names[(index + 1) % size]!, version_spec: '^1' }] }));
      const results = await Promise.all(documents.map((document) => registry.graphql(REGISTER, { metadata: document })));
      const refused = results.filter((result) => result.errors);
      expect(refused.map((result) => result.errors![0]!.extensions.code)).toEqual(['DEPENDENCY_CYCLE']);
      const landed = documents.find((_, index) => !results[index]!.errors)!;
      const graph = await registry.graphql(GRAPH, { root: landed.uuid });
      expect(graph.data!.dependencyGraph.isDag).toBe(true);
    }
  });

  it('never let a feed reader find a change behind its cursor', async () => {
    const seen: number[] = [];
    let after: string | null = null;
    let writing = true;
    const read = async () => {
      const result = await registry.graphql('query($a: String) { changes(after: $a) { edges { node { sequence } } pageInfo { endCursor } } }', { a: after });
      seen.push(...result.data!.changes.edges.map((edge: { node: { sequence: string } }) => Number(edge.node.sequence)));
      after = result.data!.changes.pageInfo.endCursor ?? after;
    };
    const reader = (async () => {
      while (writing) await read();
      await read();
    })();
    const uuids = await registerGraph(registry, { base: { name: 'base' } });
    await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        index % 2 === 0
          ? registry.graphql(REGISTER, { metadata: metadata({ name: `w-${index}` }) })
          : registry.graphql(UPDATE, { uuid: uuids.base, patch: { annotations: { [`k${index}`]: index } } }),
      ),
    );
    writing = false;
    await reader;
    expect(seen).toEqual(Array.from({ length: 41 }, (_, index) => index + 1));
  });
});
