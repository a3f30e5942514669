import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerGraph } from '../support/graph.js';
import { metadata, registerAll, registryHarness, UPDATE, type RegistryHarness } from '../support/registry.js';

// Every SQL statement an operation sends, snapshotted: a query per item (N+1) shows up as a longer list.
let registry: RegistryHarness;
let uuids: string[];
let graph: Record<string, string>;

beforeAll(async () => {
  registry = await registryHarness();
  const documents = Array.from({ length: 6 }, (_, index) => metadata({ name: `c-${index % 3}`, version: `1.${index}.0`, tags: ['canary'] }));
  await registerAll(registry, documents);
  uuids = documents.map((document) => document.uuid as string);
  await registry.graphql(UPDATE, { uuid: uuids[0], patch: { owner: 'someone' } });
  // Three levels below the root, several nodes wide, with ranges, a pin and an unresolvable range.
  graph = await registerGraph(registry, {
    l1: { name: 'leaf-1' },
    l2: { name: 'leaf-2', version: '2.0.0' },
    m1: { name: 'mid-1', deps: ['leaf-1@^1', 'leaf-2@^2'] },
    m2: { name: 'mid-2', deps: ['leaf-2@>=2', '#l1', 'ghost@^1'] },
    t1: { name: 'top-1', deps: ['mid-1@*', 'mid-2@*'] },
    t2: { name: 'top-2', deps: ['mid-2@^1'] },
    root: { name: 'root', deps: ['top-1@*', 'top-2@*', '#m1'] },
  });
});
afterAll(() => registry.close());

/** The statements sent while running one operation, with whitespace folded so the snapshot reads well. */
async function statementsOf(query: string, variables?: Record<string, unknown>): Promise<string[]> {
  registry.queries.length = 0;
  const result = await registry.graphql(query, variables);
  expect(result.errors).toBeUndefined();
  return registry.queries.map((sql) => sql.replace(/\s+/g, ' ').trim());
}

describe('database calls per operation', () => {
  it('component(uuid) with history: two statements', async () => {
    const statements = await statementsOf('query($u: UUID!) { component(uuid: $u) { name history { revision } } }', {
      u: uuids[0],
    });
    expect(statements).toHaveLength(2);
    expect(statements).toMatchSnapshot();
  });

  it('component(name, range): candidates, then the chosen row', async () => {
    const statements = await statementsOf('{ component(name: "c-1", versionSpec: "^1") { version } }');
    expect(statements).toHaveLength(2);
    expect(statements).toMatchSnapshot();
  });

  it('search with history on every result: one statement for the page, one for all histories, one count', async () => {
    const statements = await statementsOf('{ search(tags: ["canary"]) { totalCount edges { node { name history { revision } } } } }');
    expect(statements).toHaveLength(3);
    // The count and the histories are asked for at once: which the driver sends first varies.
    expect([...statements].sort()).toMatchSnapshot();
  });

  it('changes with each component: one statement for the page, one for all components', async () => {
    const statements = await statementsOf('{ changes { edges { node { sequence component { name } } } } }');
    expect(statements).toHaveLength(2);
    expect(statements).toMatchSnapshot();
  });
});

describe('database calls of graph-shaped operations', () => {
  it('dependencyGraph: one statement that walks every level and brings the nodes', async () => {
    const statements = await statementsOf(
      'query($r: UUID!) { dependencyGraph(root: $r) { nodes { depth component { name } } edges { from to } unresolved { name } } }',
      { r: graph.root },
    );
    expect(statements).toHaveLength(1);
    expect(statements).toMatchSnapshot();
  });

  it('dependencyGraph with node documents: one more statement for every document at once', async () => {
    registry.queries.length = 0;
    const result = await registry.graphql('query($r: UUID!) { dependencyGraph(root: $r) { nodes { component { name metadata } } } }', {
      r: graph.root,
    });
    const nodes = result.data!.dependencyGraph.nodes as Array<{ component: { name: string; metadata: { name: string } } }>;
    expect(nodes).toHaveLength(7);
    for (const node of nodes) expect(node.component.metadata.name).toBe(node.component.name);
    expect(registry.queries).toHaveLength(1 + 1);
  });

  it('dependencyGraph towards dependents: one statement', async () => {
    const statements = await statementsOf('query($r: UUID!) { dependencyGraph(root: $r, direction: DEPENDENTS) { nodes { depth } } }', {
      r: graph.l1,
    });
    expect(statements).toHaveLength(1);
    expect(statements).toMatchSnapshot();
  });

  it('nested dependencies three levels deep: one statement per level, whatever the width', async () => {
    const statements = await statementsOf(
      `query($r: UUID!) { component(uuid: $r) { dependencies { resolved { name
         dependencies { resolved { name dependencies { resolved { name } } } } } } } }`,
      { r: graph.root },
    );
    expect(statements).toHaveLength(1 + 3);
    expect(statements).toMatchSnapshot();
  });

  it('dependents of every search result: one statement for the whole level', async () => {
    const statements = await statementsOf('{ search(text: "leaf") { edges { node { name dependents { name } } } } }');
    expect(statements).toHaveLength(1 + 1);
    expect(statements).toMatchSnapshot();
  });

  it('dependencyGraph: one statement at every depth, in both directions', async () => {
    // A chain twelve deep beside the graph above: the statement count does not follow the depth.
    const spec: Record<string, { name: string; deps?: string[] }> = { c0: { name: 'chain-0' } };
    for (let level = 1; level < 12; level += 1) spec[`c${level}`] = { name: `chain-${level}`, deps: [`chain-${level - 1}@^1`] };
    const chain = await registerGraph(registry, spec);
    const query = 'query($r: UUID!, $d: GraphDirection) { dependencyGraph(root: $r, direction: $d) { nodes { depth } isDag } }';
    for (const [root, direction] of [[chain.c11, 'DEPENDENCIES'], [chain.c0, 'DEPENDENTS']] as const) {
      registry.queries.length = 0;
      const result = await registry.graphql(query, { r: root, d: direction });
      expect(result.data!.dependencyGraph.nodes).toHaveLength(12);
      expect(result.data!.dependencyGraph.nodes.at(-1)).toEqual({ depth: 11 });
      expect(registry.queries).toHaveLength(1);
    }
  });
});

