// `npm run bench -- as-of`: the whole dependency graph of 10k nodes as the registry stood at an earlier instant,
// against the same graph now, measured in the same run (issue 17: an asOf graph within 3 × the current one).
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { layeredDag, load } from './graph.js';
import { graphql, percentiles, startServer, type Percentiles } from './support.js';

export interface AsOfRound {
  /** The graph now: the baseline. */
  readonly current: Percentiles;
  /** The graph as of the instant before the updates and new versions: every changed component read from its history. */
  readonly past: Percentiles;
  /** asOf an instant after every write: the same answer as now, through the asOf statement. */
  readonly asOfNow: Percentiles;
  /** Towards dependents from a node of the last layer, now and as of the instant (no bar: reported). */
  readonly dependentsNow?: Percentiles;
  readonly dependentsPast?: Percentiles;
}

export interface AsOfBenchResult {
  readonly components: number;
  readonly nodes: number;
  readonly edges: number;
  /** Components updated after the past instant (description and lifecycle; every other one its ranges too). */
  readonly updated: number;
  /** Versions registered after the past instant, which ranges now choose and the past graph must not. */
  readonly registeredAfter: number;
  /** Nodes the walk towards dependents reaches from its root, as of the instant. */
  readonly dependentsNodes?: number;
  /** Nodes of the past graph that the current graph does not reach. */
  readonly nodesDiffering: number;
  readonly runsPerRound: number;
  readonly rounds: AsOfRound[];
  /** Medians over the rounds of each round's p50. */
  readonly median: { readonly current: number; readonly past: number; readonly asOfNow: number };
}

const GRAPH = `query($r: UUID!, $asOf: DateTime, $direction: GraphDirection) { dependencyGraph(root: $r, asOf: $asOf, direction: $direction) {
  nodes { depth component { uuid name version } } edges { from to versionSpec }
  unresolved { from name versionSpec uuid } cycles isDag truncated } }`;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** `runs` requests after one warm-up, the whole round trip each; any error stops the benchmark. */
async function timed(url: string, variables: Record<string, unknown>, runs: number): Promise<Percentiles> {
  const body = JSON.stringify({ query: GRAPH, variables });
  const samples: number[] = [];
  for (let run = 0; run < runs + 1; run += 1) {
    const started = performance.now();
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const text = await response.text();
    const elapsed = performance.now() - started;
    if (response.status !== 200 || text.includes('"errors":')) throw new Error(`graph query failed: ${text.slice(0, 300)}`);
    if (run > 0) samples.push(elapsed);
  }
  return percentiles(samples);
}

type Graph = { nodes: Array<{ component: { uuid: string; name: string; version: string } }>; edges: unknown[]; isDag: boolean; truncated: boolean };

export async function asOfBench(runs: number, rounds: number): Promise<AsOfBenchResult> {
  const server = await startServer('postgres', { cacheEntries: 0 });
  try {
    const { rows, root } = layeredDag(10, 1_000);
    await load(server.databaseUrl!, rows);
    // The direct load writes no history; every registration has one revision, at its registration.
    const client = new pg.Client({ connectionString: server.databaseUrl });
    await client.connect();
    await client.query(`INSERT INTO component_revisions (component_uuid, revision, document, at) SELECT uuid, 1, document, created_at FROM components`);
    await sleep(5);
    const [{ at: past }] = (await client.query<{ at: Date }>('SELECT max(at) AS at FROM component_revisions')).rows as [{ at: Date }];
    await sleep(5);

    // After the instant: every tenth layer component updated (every other one of those with its ranges rewritten), and a
    // new 1.2.0 for every twentieth name, which "^1", ">=1.0.0", "*" and "1.x" now choose.
    const token = await server.token();
    const layer = rows.filter((row) => /^n\d+-\d+$/.test(row.name));
    const updates = layer.filter((_, index) => index % 10 === 0);
    const queue = updates.map((row, index) => ({
      uuid: row.uuid,
      patch: {
        description: 'changed after the instant',
        lifecycle: 'deprecated',
        ...(index % 2 === 0 && row.dependencies.length
          ? { dependencies: row.dependencies.map((dependency) => ('uuid' in dependency ? dependency : { name: dependency.name, version_spec: '>=1.0.0 <2' })) }
          : {}),
      },
    }));
    const update = 'mutation($u: UUID!, $p: JSON!) { update(uuid: $u, patch: $p) { revision } }';
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) await graphql(server.url, update, { u: next.uuid, p: next.patch }, token);
      }),
    );
    const names = [...new Set(layer.map((row) => row.name))].filter((_, index) => index % 20 === 0);
    const newer = names.map((name) => ({ schema_version: '0.3', uuid: randomUUID(), name, version: '1.2.0', type: 'tool', lifecycle: 'active' }));
    for (let start = 0; start < newer.length; start += 1_000) {
      await graphql(server.url, 'mutation($m: [JSON!]!) { registerMany(metadata: $m) { registered } }', { m: newer.slice(start, start + 1_000) }, token);
    }
    await client.query('ANALYZE');
    await client.end();
    await sleep(5);
    const later = new Date(Date.now() + 1_000).toISOString();

    const now = (await graphql<{ dependencyGraph: Graph }>(server.url, GRAPH, { r: root })).dependencyGraph;
    const then = (await graphql<{ dependencyGraph: Graph }>(server.url, GRAPH, { r: root, asOf: past.toISOString() })).dependencyGraph;
    for (const graph of [now, then]) if (!graph.isDag || graph.truncated) throw new Error('the benchmark graph is not a whole DAG');
    if (then.nodes.some((node) => node.component.version === '1.2.0')) throw new Error('the past graph reached a version registered after it');
    // Towards dependents from a last-layer component that one of the updates rewrote the ranges of a dependent of.
    const leaf = rows.find((row) => row.name === 'n9-0' && row.version === '1.1.0')!.uuid;
    const dependents = (await graphql<{ dependencyGraph: Graph }>(server.url, GRAPH, { r: leaf, asOf: past.toISOString(), direction: 'DEPENDENTS' })).dependencyGraph;
    const reachedNow = new Set(now.nodes.map((node) => node.component.uuid));
    const nodesDiffering = then.nodes.filter((node) => !reachedNow.has(node.component.uuid)).length;

    const results: AsOfRound[] = [];
    for (let round = 0; round < rounds; round += 1) {
      results.push({
        current: await timed(server.url, { r: root }, runs),
        past: await timed(server.url, { r: root, asOf: past.toISOString() }, runs),
        asOfNow: await timed(server.url, { r: root, asOf: later }, runs),
        dependentsNow: await timed(server.url, { r: leaf, direction: 'DEPENDENTS' }, runs),
        dependentsPast: await timed(server.url, { r: leaf, asOf: past.toISOString(), direction: 'DEPENDENTS' }, runs),
      });
    }
    return {
      components: rows.length + newer.length,
      nodes: then.nodes.length,
      edges: then.edges.length,
      updated: updates.length,
      registeredAfter: newer.length,
      nodesDiffering,
      dependentsNodes: dependents.nodes.length,
      runsPerRound: runs,
      rounds: results,
      median: {
        current: median(results.map((r) => r.current.p50)),
        past: median(results.map((r) => r.past.p50)),
        asOfNow: median(results.map((r) => r.asOfNow.p50)),
      },
    };
  } finally {
    await server.stop();
  }
}
