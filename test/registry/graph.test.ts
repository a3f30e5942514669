import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ComponentSummary } from '../../src/resolvers/component-row.js';
import { indexWalk } from '../../src/resolvers/graph-walk.js';
import { GRAPH_LIMITS, layOut } from '../../src/resolvers/graph.js';
import { GRAPH, labelled, registerGraph } from '../support/graph.js';
import { registryHarness, type RegistryHarness } from '../support/registry.js';

let registry: RegistryHarness;
beforeAll(async () => {
  registry = await registryHarness();
});
afterAll(() => registry.close());

/** Rows planted around the registry's writes get their resolutions as a bulk SQL load does (registry_resolve_all). */
const plantedResolved = () => registry.db.withSession((session) => session.query('SELECT registry_resolve_all()'));

beforeEach(() => registry.reset());

async function graph(root: string, uuids: Record<string, string>, options: Record<string, unknown> = {}) {
  const result = await registry.graphql(GRAPH, { root, ...options });
  expect(result.errors).toBeUndefined();
  const { dependencyGraph } = labelled(result.data!, uuids);
  return {
    ...dependencyGraph,
    nodes: dependencyGraph.nodes.map((node: { depth: number; component: { uuid: string } }) => `${node.component.uuid}:${node.depth}`),
    edges: dependencyGraph.edges.map((edge: { from: string; to: string; versionSpec: string | null }) => `${edge.from}->${edge.to} ${edge.versionSpec ?? 'pinned'}`),
  };
}

describe('dependencyGraph on a diamond with shared dependencies', () => {
  let uuids: Record<string, string>;
  beforeEach(async () => {
    uuids = await registerGraph(registry, {
      d1: { name: 'd', version: '1.0.0' },
      d15: { name: 'd', version: '1.5.0' },
      d2: { name: 'd', version: '2.0.0' },
      b: { name: 'b', deps: ['d@^1'] },
      c: { name: 'c', deps: ['d@>=1', 'ghost@^1'] },
      a: { name: 'a', deps: ['b@^1', 'c@~1.0.0', '#d1'] },
    });
  });

  it('returns every node with its depth, every edge with its range, and what did not resolve', async () => {
    expect(await graph(uuids.a!, uuids)).toEqual({
      root: { uuid: 'a' },
      nodes: ['a:0', 'b:1', 'c:1', 'd1:1', 'd15:2', 'd2:2'],
      edges: ['a->b ^1', 'a->c ~1.0.0', 'a->d1 pinned', 'b->d15 ^1', 'c->d2 >=1'],
      unresolved: [{ from: 'c', name: 'ghost', versionSpec: '^1', uuid: null }],
      cycles: [],
      isDag: true,
      truncated: false,
    });
  });

  it('resolves at query time: a new version moves the edges, a retired one drops out of ranges but not pins', async () => {
    const more = await registerGraph(registry, { d16: { name: 'd', version: '1.6.0' } });
    expect((await graph(uuids.a!, { ...uuids, ...more })).edges).toContain('b->d16 ^1');
    await registry.graphql(`mutation($u: UUID!) { update(uuid: $u, patch: { lifecycle: "retired" }) { revision } }`, { u: more.d16 });
    await registry.graphql(`mutation($u: UUID!) { update(uuid: $u, patch: { lifecycle: "retired" }) { revision } }`, { u: uuids.d1 });
    const after = await graph(uuids.a!, { ...uuids, ...more });
    expect(after.edges).toEqual(['a->b ^1', 'a->c ~1.0.0', 'a->d1 pinned', 'b->d15 ^1', 'c->d2 >=1']);
  });

  it('walks towards dependents, edges still pointing from dependent to dependency', async () => {
    expect(await graph(uuids.d15!, uuids, { direction: 'DEPENDENTS' })).toMatchObject({
      nodes: ['d15:0', 'b:1', 'a:2'],
      edges: ['b->d15 ^1', 'a->b ^1'],
      unresolved: [],
      isDag: true,
    });
    expect((await graph(uuids.d1!, uuids, { direction: 'DEPENDENTS' })).nodes).toEqual(['d1:0', 'a:1']);
  });

  it.each([
    [{ maxDepth: 0 }, ['a:0'], [], true],
    [{ maxDepth: 1 }, ['a:0', 'b:1', 'c:1', 'd1:1'], ['a->b ^1', 'a->c ~1.0.0', 'a->d1 pinned'], true],
    [{ maxDepth: 2 }, ['a:0', 'b:1', 'c:1', 'd1:1', 'd15:2', 'd2:2'], undefined, false],
    [{ maxNodes: 3 }, ['a:0', 'b:1', 'c:1'], ['a->b ^1', 'a->c ~1.0.0'], true],
  ])('bounded by %j', async (bounds, nodes, edges, truncated) => {
    const result = await graph(uuids.a!, uuids, bounds);
    expect(result.nodes).toEqual(nodes);
    if (edges) expect(result.edges).toEqual(edges);
    expect(result.truncated).toBe(truncated);
  });

  it('returns whatever component fields are asked for, summaries or whole documents', async () => {
    const fields = `uuid name version lifecycle type tags owner revision createdAt updatedAt`;
    const result = await registry.graphql(
      `query($r: UUID!) { dependencyGraph(root: $r) { root { ${fields} } nodes { component { ${fields} } } } }`,
      { r: uuids.a },
    );
    const direct = await registry.graphql(`query($u: UUID!) { component(uuid: $u) { ${fields} } }`, { u: uuids.d15 });
    const { root, nodes } = result.data!.dependencyGraph;
    expect(root).toMatchObject({ uuid: uuids.a, type: 'TOOL', tags: [], revision: 1, createdAt: expect.stringMatching(/^\d{4}-/) });
    expect(nodes.find((node: { component: { uuid: string } }) => node.component.uuid === uuids.d15).component).toEqual(direct.data!.component);
    const withDocuments = await registry.graphql(
      `query($r: UUID!) { dependencyGraph(root: $r) { nodes { component { name metadata dependencies { versionSpec } } } } }`,
      { r: uuids.a },
    );
    const b = withDocuments.data!.dependencyGraph.nodes.find((node: { component: { name: string } }) => node.component.name === 'b');
    expect(b.component).toMatchObject({ metadata: { name: 'b', dependencies: [{ name: 'd', version_spec: '^1' }] }, dependencies: [{ versionSpec: '^1' }] });
  });

  it('refuses negative bounds and an unknown root', async () => {
    const negative = await registry.graphql(GRAPH, { root: uuids.a, maxDepth: -1 });
    expect(negative.errors![0]).toMatchObject({ message: 'maxDepth must be 0 or more (got -1)', extensions: { code: 'BAD_USER_INPUT' } });
    const missing = await registry.graphql(GRAPH, { root: '00000000-0000-4000-8000-000000000000' });
    expect(missing.errors![0]!.extensions.code).toBe('NOT_FOUND');
  });
});

describe('dependencyGraph on deep graphs, walked in one statement', () => {
  it('places each component at the level it is first reached, whichever form of the walk', async () => {
    // a reaches c directly and through b: c is at depth 1, and d below it at 2.
    const uuids = await registerGraph(registry, {
      d: { name: 'd' },
      c: { name: 'c', deps: ['d@^1'] },
      b: { name: 'b', deps: ['c@^1'] },
      a: { name: 'a', deps: ['b@^1', 'c@*'] },
    });
    const whole = await graph(uuids.a!, uuids);
    expect(whole.nodes).toEqual(['a:0', 'b:1', 'c:1', 'd:2']);
    expect(whole.edges).toEqual(['a->b ^1', 'a->c *', 'b->c ^1', 'c->d ^1']);
    // With a bound the database walks level by level instead; the answer is laid out the same way.
    expect(await graph(uuids.a!, uuids, { maxDepth: 999 })).toEqual(whole);
    expect(await graph(uuids.a!, uuids, { maxDepth: 1 })).toMatchObject({ nodes: ['a:0', 'b:1', 'c:1'], edges: ['a->b ^1', 'a->c *', 'b->c ^1'], truncated: true });
  });

  it('walks a chain forty deep in both directions, bounded by maxDepth and maxNodes', async () => {
    const spec: Record<string, { name: string; deps?: string[] }> = { l0: { name: 'link-0' } };
    for (let level = 1; level < 40; level += 1) spec[`l${level}`] = { name: `link-${level}`, deps: [`link-${level - 1}@>=1.0.0`] };
    const uuids = await registerGraph(registry, spec);
    const down = await graph(uuids.l39!, uuids);
    expect(down.nodes).toEqual(Array.from({ length: 40 }, (_, depth) => `l${39 - depth}:${depth}`));
    expect(down).toMatchObject({ isDag: true, truncated: false, unresolved: [] });
    const up = await graph(uuids.l0!, uuids, { direction: 'DEPENDENTS' });
    expect(up.nodes).toEqual(Array.from({ length: 40 }, (_, depth) => `l${depth}:${depth}`));
    expect(up.edges[0]).toBe('l1->l0 >=1.0.0');
    expect(await graph(uuids.l39!, uuids, { maxDepth: 30 })).toMatchObject({ nodes: down.nodes.slice(0, 31), truncated: true });
    expect(await graph(uuids.l39!, uuids, { maxNodes: 25 })).toMatchObject({ nodes: down.nodes.slice(0, 25), truncated: true });
  });

  it('ends on a planted cycle when bounded too, and reports it', async () => {
    const uuids = await registerGraph(registry, { m: { name: 'm' }, n: { name: 'n', deps: ['m@^1'] } });
    await registry.db.withSession((session) =>
      session.query(`INSERT INTO component_dependencies (component_uuid, position, dependency_name, version_spec) VALUES ($1, 0, 'n', '^1')`, [uuids.m]),
    );
    await plantedResolved();
    const bounded = await graph(uuids.m!, uuids, { maxDepth: 500 });
    expect(bounded).toMatchObject({ nodes: ['m:0', 'n:1'], edges: ['m->n ^1', 'n->m ^1'], cycles: [['m', 'n', 'm']], isDag: false, truncated: false });
  });
});

describe('Component.dependencies and dependents', () => {
  it('nest to any depth, each dependency with its current resolution', async () => {
    const uuids = await registerGraph(registry, {
      leaf: { name: 'leaf', version: '3.1.0' },
      mid: { name: 'mid', deps: ['leaf@^3'] },
      top: { name: 'top', deps: ['mid@*', 'missing@1.x', '#leaf'] },
    });
    const result = await registry.graphql(
      `query($u: UUID!) { component(uuid: $u) { dependencies { name versionSpec uuid resolved { name version
         dependencies { versionSpec resolved { name version dependencies { resolved { name } } } } } } } }`,
      { u: uuids.top },
    );
    expect(labelled(result.data!.component.dependencies, uuids)).toEqual([
      { name: 'mid', versionSpec: '*', uuid: null, resolved: { name: 'mid', version: '1.0.0', dependencies: [
        { versionSpec: '^3', resolved: { name: 'leaf', version: '3.1.0', dependencies: [] } },
      ] } },
      { name: 'missing', versionSpec: '1.x', uuid: null, resolved: null },
      { name: null, versionSpec: null, uuid: 'leaf', resolved: { name: 'leaf', version: '3.1.0', dependencies: [] } },
    ]);
    const dependents = await registry.graphql(`query($u: UUID!) { component(uuid: $u) { dependents { name } } }`, { u: uuids.leaf });
    expect(dependents.data!.component.dependents).toEqual([{ name: 'mid' }, { name: 'top' }]);
  });
});

const UPDATE_DEPS = `mutation($u: UUID!, $p: JSON!) { update(uuid: $u, patch: $p) { revision } }`;

describe('cycles', () => {
  it('are refused at register, naming the cycle, and nothing is written', async () => {
    const uuids = await registerGraph(registry, { x: { name: 'x', deps: ['y@^1'] } });
    const result = await registry.graphql(
      `mutation($m: JSON!) { register(metadata: $m) { uuid } }`,
      { m: { schema_version: '0.3', uuid: '11111111-1111-4111-8111-111111111111', name: 'y', version: '1.2.0', type: 'tool', dependencies: [{ name: 'x', version_spec: '^1' }] } },
    );
    const [error] = result.errors!;
    expect(error!.extensions.code).toBe('DEPENDENCY_CYCLE');
    expect(labelled(error!.extensions.cycle, { ...uuids, y: '11111111-1111-4111-8111-111111111111' })).toEqual(['y', 'x', 'y']);
    expect(error!.message).toBe('this change would put the component on a dependency cycle: y@1.2.0 → x@1.0.0 → y@1.2.0');
    const read = await registry.graphql(`{ component(name: "y") { uuid } }`);
    expect(read.data!.component).toBeNull();
  });

  it('are refused for a component depending on itself', async () => {
    const attempt = registerGraph(registry, { self: { name: 'self', version: '1.0.0', deps: ['self@^1'] } });
    await expect(attempt).rejects.toThrow(/DEPENDENCY_CYCLE/);
  });

  it('count the new version as a candidate of every range', async () => {
    // q depends on p ^1 (now p 1.0.0); p 1.1.0 depending on q would become q's choice, closing a cycle.
    const uuids = await registerGraph(registry, { p1: { name: 'p', version: '1.0.0' }, q: { name: 'q', deps: ['p@^1'] } });
    await expect(registerGraph(registry, { p11: { name: 'p', version: '1.1.0', deps: ['q@*'] } })).rejects.toThrow(/DEPENDENCY_CYCLE/);
    // Outside q's range it is fine.
    await registerGraph(registry, { p2: { name: 'p', version: '2.0.0', deps: ['q@*'] } });
    expect((await graph(uuids.q!, uuids)).isDag).toBe(true);
  });

  it('are refused at update, leaving the document and its edges as they were', async () => {
    const uuids = await registerGraph(registry, { x: { name: 'x', deps: ['y@^1'] }, y: { name: 'y' } });
    const result = await registry.graphql(UPDATE_DEPS, { u: uuids.y, p: { dependencies: [{ name: 'z', version_spec: '*' }, { uuid: uuids.x }] } });
    expect(result.errors![0]!.extensions.code).toBe('DEPENDENCY_CYCLE');
    expect(labelled(result.errors![0]!.extensions.cycle, uuids)).toEqual(['y', 'x', 'y']);
    expect(await graph(uuids.y!, uuids)).toMatchObject({ nodes: ['y:0'], edges: [], unresolved: [] });
  });

  it('are refused when retiring a version makes ranges fall back onto a cycle', async () => {
    const uuids = await registerGraph(registry, {
      y: { name: 'y' },
      x1: { name: 'x', version: '1.0.0', deps: ['y@^1'] },
      x2: { name: 'x', version: '2.0.0' },
    });
    await registry.graphql(UPDATE_DEPS, { u: uuids.y, p: { dependencies: [{ name: 'x', version_spec: '>=1' }] } });
    const retire = await registry.graphql(UPDATE_DEPS, { u: uuids.x2, p: { lifecycle: 'retired' } });
    expect(retire.errors![0]!.extensions.code).toBe('DEPENDENCY_CYCLE');
    expect(labelled(retire.errors![0]!.extensions.cycle, uuids)).toEqual(['x1', 'y', 'x1']);
  });

  it('cannot be closed by two writers at once', async () => {
    for (let round = 0; round < 5; round += 1) {
      await registry.reset();
      const attempts = await Promise.allSettled([
        registerGraph(registry, { a: { name: 'a', deps: ['b@*'] } }),
        registerGraph(registry, { b: { name: 'b', deps: ['a@*'] } }),
      ]);
      expect(attempts.filter((attempt) => attempt.status === 'fulfilled')).toHaveLength(1);
    }
  });

  it('planted directly in the database still end the walk, and are reported', async () => {
    const uuids = await registerGraph(registry, { m: { name: 'm' }, n: { name: 'n' }, o: { name: 'o' } });
    await registry.db.withSession((session) =>
      session.query(
        `INSERT INTO component_dependencies (component_uuid, position, dependency_name, version_spec, dependency_uuid)
         VALUES ($1, 0, 'n', '*', NULL), ($2, 0, NULL, NULL, $3), ($3, 0, 'm', '^1', NULL), ($3, 1, NULL, NULL, $3)`,
        [uuids.m, uuids.n, uuids.o],
      ),
    );
    await plantedResolved();
    const result = await graph(uuids.m!, uuids);
    expect(result).toMatchObject({
      nodes: ['m:0', 'n:1', 'o:2'],
      edges: ['m->n *', 'n->o pinned', 'o->m ^1', 'o->o pinned'],
      cycles: [['m', 'n', 'o', 'm'], ['o', 'o']],
      isDag: false,
    });
    expect((await graph(uuids.o!, uuids, { direction: 'DEPENDENTS' })).isDag).toBe(false);
  });
});

describe('layOut', () => {
  const summary = (uuid: string): ComponentSummary => ({
    uuid, name: uuid, version: '1.0.0', lifecycle: 'ACTIVE', versionKey: null, type: null, description: null, owner: null, tags: null,
    revision: null, createdAt: null, updatedAt: null,
  });
  // a -> b, a -> c, b -> c, c -> a (a cycle), and b's second declaration resolves to nothing.
  const walk = indexWalk({
    summaries: ['c', 'b', 'a'].map(summary),
    edges: [
      { from: 'c', position: 0, to: 'a', name: 'a', versionSpec: '^1', uuid: null },
      { from: 'b', position: 1, to: null, name: 'ghost', versionSpec: '^2', uuid: null },
      { from: 'a', position: 1, to: 'c', name: 'c', versionSpec: '*', uuid: null },
      { from: 'b', position: 0, to: 'c', name: 'c', versionSpec: '~1', uuid: null },
      { from: 'a', position: 0, to: 'b', name: null, versionSpec: null, uuid: 'b' },
    ],
    capped: false,
  });

  it('answers in numbers on the walk, and the same as objects made on first use', () => {
    const graph = layOut(walk, 'a', 'a', 'DEPENDENCIES', GRAPH_LIMITS.maxDepth, GRAPH_LIMITS.maxNodes);
    expect(Array.from(graph.order, (node) => walk.summaries[node]!.uuid)).toEqual(['a', 'b', 'c']);
    expect(Array.from(graph.order, (node) => graph.depths[node])).toEqual([0, 1, 1]);
    expect(graph.nodes.map(({ uuid, depth, summary }) => [uuid, depth, summary === walk.summaries[walk.summaries.findIndex((s) => s.uuid === uuid)]])).toEqual([
      ['a', 0, true], ['b', 1, true], ['c', 1, true],
    ]);
    expect(graph.root).toBe(graph.nodes[0]);
    expect(graph.edges).toEqual([
      { from: 'a', to: 'b', versionSpec: null },
      { from: 'a', to: 'c', versionSpec: '*' },
      { from: 'b', to: 'c', versionSpec: '~1' },
      { from: 'c', to: 'a', versionSpec: '^1' },
    ]);
    expect(graph.edges).toBe(graph.edges);
    expect(graph.unresolved).toEqual([{ from: 'b', name: 'ghost', versionSpec: '^2', uuid: null }]);
    // One cycle per edge closing back onto the search path: a -> c is met after c is done, and closes none.
    expect(graph.cycles).toEqual([['a', 'b', 'c', 'a']]);
    expect(graph.truncated).toBe(false);
  });

  it('cuts at maxDepth and maxNodes, noting what lies beyond as truncation', () => {
    const shallow = layOut(walk, 'a', 'a', 'DEPENDENCIES', 0, GRAPH_LIMITS.maxNodes);
    expect(shallow.nodes.map((node) => node.uuid)).toEqual(['a']);
    expect(shallow).toMatchObject({ edges: [], truncated: true });
    const narrow = layOut(walk, 'a', 'a', 'DEPENDENCIES', GRAPH_LIMITS.maxDepth, 2);
    expect(narrow.nodes.map((node) => node.uuid)).toEqual(['a', 'b']);
    expect(narrow).toMatchObject({ edges: [{ from: 'a', to: 'b', versionSpec: null }], truncated: true });
    const up = layOut(walk, 'c', 'c', 'DEPENDENTS', GRAPH_LIMITS.maxDepth, GRAPH_LIMITS.maxNodes);
    expect(up.nodes.map((node) => `${node.uuid}:${node.depth}`)).toEqual(['c:0', 'a:1', 'b:1']);
  });
});
