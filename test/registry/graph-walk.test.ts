import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import semver from 'semver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { versionSortKey } from '../../src/metadata/version-key.js';
import { findCycles, GRAPH_LIMITS, layOut } from '../../src/resolvers/graph.js';
import { walkGraph } from '../../src/resolvers/graph-walk.js';
import { GRAPH } from '../support/graph.js';
import { registryHarness, type RegistryHarness } from '../support/registry.js';

// The graph walk (one statement in the database, src/resolvers/graph-walk.ts, laid out on numbers in graph.ts)
// against a plain reading of what dependencyGraph promises: breadth-first from the root, declarations in the order
// the metadata lists them (towards dependents, by dependent uuid then position), each component at the level it is
// first reached and expanded once, every range resolved as node-semver's maxSatisfying over the non-retired
// versions of its name, a pin to its entry whatever its lifecycle, cut at maxDepth and maxNodes. The registries are
// written straight into the tables, so that they can hold cycles, self-loops and pins to nothing, then resolved as a
// bulk load is (registry_resolve_all); test/registry/resolved-dependencies.test.ts holds the write path's resolutions
// equal to that.
let registry: RegistryHarness;
beforeAll(async () => {
  registry = await registryHarness();
});
afterAll(() => registry.close());

interface Component {
  readonly uuid: string;
  readonly name: string;
  readonly version: string;
  readonly retired: boolean;
}

type Declaration = { readonly name: string; readonly range: string } | { readonly pin: number };

interface Registry {
  readonly components: Component[];
  /** Each component's declarations, by the component's index. */
  readonly declarations: Declaration[][];
}

const NAMES = ['a', 'b', 'c', 'd', 'e'];
const VERSIONS = ['1.0.0', '1.2.0', '1.3.0-beta.1', '2.0.0', '0.9.0'];
const RANGES = ['^1', '*', '>=1.1.0', '~1.2.0', '1.x || >=2', '^1.3.0-beta.0', '<1', '2.x', 'not a range'];

const registries: fc.Arbitrary<Registry> = fc
  .uniqueArray(fc.record({ name: fc.constantFrom(...NAMES), version: fc.constantFrom(...VERSIONS), retired: fc.constantFrom(false, false, false, true) }), {
    minLength: 1,
    maxLength: 9,
    selector: (c) => `${c.name}@${c.version}`,
  })
  .chain((components) =>
    fc.record({
      components: fc.constant(components.map((c) => ({ ...c, uuid: randomUUID() }))),
      declarations: fc.array(
        fc.array(
          fc.oneof(
            { weight: 4, arbitrary: fc.record({ name: fc.constantFrom(...NAMES, 'ghost'), range: fc.constantFrom(...RANGES) }) },
            // A pin to one of the components, or (past the end) to a uuid nothing holds.
            { weight: 1, arbitrary: fc.record({ pin: fc.nat(components.length) }) },
          ),
          { maxLength: 4 },
        ),
        { minLength: components.length, maxLength: components.length },
      ),
    }),
  );

const GHOST = '00000000-0000-4000-8000-000000000000';

async function write({ components, declarations }: Registry): Promise<void> {
  await registry.db.withSession(async (session) => {
    await session.query(
      `INSERT INTO components (uuid, name, version, version_key, type, lifecycle, document, revision)
       SELECT u, n, v, k, 'TOOL', (CASE WHEN r THEN 'RETIRED' ELSE 'ACTIVE' END)::lifecycle, '{}', 1
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::boolean[]) AS t(u, n, v, k, r)`,
      [components.map((c) => c.uuid), components.map((c) => c.name), components.map((c) => c.version), components.map((c) => versionSortKey(c.version)), components.map((c) => c.retired)],
    );
    const rows = declarations.flatMap((list, index) => list.map((declaration, position) => ({ from: components[index]!.uuid, position, declaration })));
    await session.query(
      `INSERT INTO component_dependencies (component_uuid, position, dependency_name, version_spec, dependency_uuid)
       SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::uuid[])`,
      [
        rows.map((row) => row.from),
        rows.map((row) => row.position),
        rows.map(({ declaration }) => ('name' in declaration ? declaration.name : null)),
        rows.map(({ declaration }) => ('name' in declaration ? declaration.range : null)),
        rows.map(({ declaration }) => ('pin' in declaration ? (components[declaration.pin]?.uuid ?? GHOST) : null)),
      ],
    );
    // Written around the registry's writes, so resolved as a bulk SQL load is.
    await session.query('SELECT registry_resolve_all()');
  });
}

function resolve({ components }: Registry, declaration: Declaration): string | null {
  if ('pin' in declaration) return components[declaration.pin]?.uuid ?? null;
  const candidates = components.filter((c) => c.name === declaration.name && !c.retired);
  const best = semver.maxSatisfying(candidates.map((c) => c.version), declaration.range);
  return candidates.find((c) => c.version === best)?.uuid ?? null;
}

interface Bounds {
  readonly direction: 'DEPENDENCIES' | 'DEPENDENTS';
  readonly maxDepth?: number;
  readonly maxNodes?: number;
}

/** dependencyGraph as its contract reads, level by level over the registry in memory. */
function expectedGraph(reg: Registry, root: number, { direction, maxDepth = GRAPH_LIMITS.maxDepth, maxNodes = GRAPH_LIMITS.maxNodes }: Bounds) {
  const { components, declarations } = reg;
  interface Edge { from: string; to: string | null; versionSpec: string | null; position: number; declaration: Declaration }
  const all: Edge[] = declarations.flatMap((list, index) =>
    list.map((declaration, position) => ({
      from: components[index]!.uuid, to: resolve(reg, declaration), position, declaration,
      versionSpec: 'range' in declaration ? declaration.range : null,
    })),
  );
  const outwards = (uuid: string) =>
    direction === 'DEPENDENCIES'
      ? all.filter((edge) => edge.from === uuid)
      : all.filter((edge) => edge.to === uuid).sort((x, y) => (x.from < y.from ? -1 : x.from > y.from ? 1 : x.position - y.position));
  const depths = new Map([[components[root]!.uuid, 0]]);
  const edges: Edge[] = [];
  const unresolved: Array<{ from: string; name: string | null; versionSpec: string | null; uuid: string | null }> = [];
  let truncated = false;
  let frontier = [components[root]!.uuid];
  for (let depth = 0; frontier.length > 0; depth += 1) {
    const level: Edge[] = [];
    for (const uuid of frontier) {
      for (const edge of outwards(uuid)) {
        if (edge.to !== null) level.push(edge);
        else unresolved.push({
          from: edge.from,
          name: 'name' in edge.declaration ? edge.declaration.name : null,
          versionSpec: edge.versionSpec,
          uuid: 'pin' in edge.declaration ? GHOST : null,
        });
      }
    }
    const reachedBy = (edge: Edge) => (direction === 'DEPENDENCIES' ? edge.to! : edge.from);
    if (depth >= maxDepth) {
      truncated ||= level.some((edge) => !depths.has(reachedBy(edge)));
      edges.push(...level.filter((edge) => depths.has(edge.from) && depths.has(edge.to!)));
      break;
    }
    const next: string[] = [];
    for (const edge of level) {
      const reached = reachedBy(edge);
      if (!depths.has(reached)) {
        if (depths.size >= Math.max(1, maxNodes)) {
          truncated = true;
          continue;
        }
        depths.set(reached, depth + 1);
        next.push(reached);
      }
      edges.push(edge);
    }
    frontier = next;
  }
  const graphEdges = edges.map(({ from, to, versionSpec }) => ({ from, to: to!, versionSpec }));
  return {
    nodes: [...depths].map(([uuid, depth]) => ({ depth, component: { uuid } })),
    edges: graphEdges,
    unresolved,
    cycles: findCycles([...depths.keys()], graphEdges, GRAPH_LIMITS.maxCycles),
    truncated,
  };
}

const bounds: fc.Arbitrary<Bounds> = fc.record(
  {
    direction: fc.constantFrom('DEPENDENCIES' as const, 'DEPENDENTS' as const),
    maxDepth: fc.nat(4),
    maxNodes: fc.integer({ min: 1, max: 6 }),
  },
  { requiredKeys: ['direction'] },
);

describe('dependencyGraph against the contract, on random registries with cycles, pins and retired versions', () => {
  it('lays out the same nodes, edges, unresolved declarations, cycles and truncation', async () => {
    await fc.assert(
      fc.asyncProperty(registries, fc.nat(), fc.array(bounds, { minLength: 1, maxLength: 3 }), async (reg, pick, asked) => {
        await registry.reset();
        await write(reg);
        const root = pick % reg.components.length;
        for (const bound of asked) {
          const result = await registry.graphql(
            GRAPH.replace('component { uuid name version }', 'component { uuid }'),
            { root: reg.components[root]!.uuid, ...bound },
          );
          expect(result.errors).toBeUndefined();
          const { root: answeredRoot, isDag, ...graph } = result.data!.dependencyGraph;
          const expected = expectedGraph(reg, root, bound);
          expect(graph).toEqual(expected);
          expect(answeredRoot).toEqual({ uuid: reg.components[root]!.uuid });
          expect(isDag).toBe(expected.cycles.length === 0);
        }
      }),
      { numRuns: 25 },
    );
  });
});

describe('a walk stopped at its row cap', () => {
  it('lays out what it read and says the graph is truncated, in both directions', async () => {
    await registry.reset();
    // A chain r -> m -> l -> k and a fan of three below r: components come in levels, so a cap cuts a level short.
    const chain = ['r', 'm', 'l', 'k'].map((name) => ({ uuid: randomUUID(), name, version: '1.0.0', retired: false }));
    const fan = ['f1', 'f2', 'f3'].map((name) => ({ uuid: randomUUID(), name, version: '1.0.0', retired: false }));
    const reg: Registry = {
      components: [...chain, ...fan],
      declarations: [
        [{ name: 'm', range: '^1' }, { name: 'f1', range: '*' }, { name: 'f2', range: '*' }, { name: 'f3', range: '*' }],
        [{ name: 'l', range: '^1' }],
        [{ name: 'k', range: '^1' }],
        [], [], [], [],
      ],
    };
    await write(reg);
    const root = chain[0]!.uuid;
    const whole = await walkGraph(registry.db, root, { direction: 'DEPENDENCIES', maxDepth: null, summaries: false, rowCap: 1_000 });
    expect(whole.capped).toBe(false);
    const all = layOut(whole, root, root, 'DEPENDENCIES', GRAPH_LIMITS.maxDepth, GRAPH_LIMITS.maxNodes);
    expect(all).toMatchObject({ truncated: false });
    expect(all.nodes.map((node) => node.summary.name)).toEqual(['r', 'm', 'f1', 'f2', 'f3', 'l', 'k']);
    // The cap counts components reached: the whole graph has seven.
    expect((await walkGraph(registry.db, root, { direction: 'DEPENDENCIES', maxDepth: null, summaries: false, rowCap: 7 })).capped).toBe(false);
    for (let cap = 1; cap < 7; cap += 1) {
      const walk = await walkGraph(registry.db, root, { direction: 'DEPENDENCIES', maxDepth: null, summaries: false, rowCap: cap });
      expect(walk.capped).toBe(true);
      const graph = layOut(walk, root, root, 'DEPENDENCIES', GRAPH_LIMITS.maxDepth, GRAPH_LIMITS.maxNodes);
      expect(graph.truncated).toBe(true);
      // A prefix of the whole answer, level by level: nothing beyond what was read, every edge between nodes laid out.
      const names = graph.nodes.map((node) => node.summary.name);
      expect(all.nodes.map((node) => node.summary.name).slice(0, names.length).sort()).toEqual([...names].sort());
      const laid = new Set(graph.nodes.map((node) => node.uuid));
      for (const edge of graph.edges) expect(laid.has(edge.from) && laid.has(edge.to)).toBe(true);
    }
    const up = await walkGraph(registry.db, chain[3]!.uuid, { direction: 'DEPENDENTS', maxDepth: null, summaries: false, rowCap: 3 });
    const upGraph = layOut(up, chain[3]!.uuid, chain[3]!.uuid, 'DEPENDENTS', GRAPH_LIMITS.maxDepth, GRAPH_LIMITS.maxNodes);
    expect(upGraph.truncated).toBe(true);
    expect(upGraph.nodes.map((node) => node.summary.name)).toEqual(['k', 'l', 'm']);
  });
});
