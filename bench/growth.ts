import pg from 'pg';
import { levelFrom } from '../src/resolvers/resolution.js';
import { layeredDag, load } from './graph.js';
import { createBenchDatabase, graphql, percentiles, seedComponents, startServer, uuidOf, type Percentiles } from './support.js';

const BY_UUID = `query($u: UUID!) { component(uuid: $u) { uuid name version lifecycle tags metadata } }`;
const BY_NAME = `query($n: String!) { component(name: $n, versionSpec: "^1") { uuid version } }`;
const SEARCH_TAG = `query($t: [String!]) { search(tags: $t, first: 20) { edges { node { uuid name version } } pageInfo { hasNextPage endCursor } } }`;
const GRAPH = `query($r: UUID!) { dependencyGraph(root: $r) { nodes { depth component { uuid name version } } edges { from to versionSpec } isDag } }`;
const TAGS = ['yaml', 'json', 'lint', 'schema', 'canary', 'security', 'perf', 'docs', 'python', 'rust', 'k8s', 'sql'];

export interface GrowthPoint {
  readonly components: number;
  readonly lookup: Percentiles;
  readonly byName: Percentiles;
  readonly searchByTag: Percentiles;
  readonly graph: Percentiles & { nodes: number };
  /** The key lines of EXPLAIN for the statements behind each query. */
  readonly plans: Record<string, string[]>;
}

export interface GrowthResult {
  readonly samples: number;
  readonly points: GrowthPoint[];
}

/** One client, one request at a time, each query `samples` times with varying arguments, after 20 unmeasured. */
async function timed(url: string, query: string, variables: (index: number) => Record<string, unknown>, samples: number): Promise<Percentiles> {
  const latencies: number[] = [];
  for (let index = 0; index < samples + 20; index += 1) {
    const started = performance.now();
    await graphql(url, query, variables(index));
    if (index >= 20) latencies.push(performance.now() - started);
  }
  return percentiles(latencies);
}

// The plan lines that say how rows are found; costs left out, as they differ from run to run.
const KEY_LINE = /Scan|Join|Loop|Sort|Limit|Aggregate|Unique|Hash|Index Cond|Recheck/;

async function explain(client: pg.Client, sql: string, params: unknown[]): Promise<string[]> {
  const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (COSTS OFF) ${sql}`, params);
  return rows.map((row) => row['QUERY PLAN']).filter((line) => KEY_LINE.test(line)).map((line) => line.replace(/\s+$/, ''));
}

/** The statement one level of the graph walk sends, caught from the resolver itself so the plan is of the real SQL. */
async function levelStatement(uuids: string[]): Promise<{ sql: string; params: unknown[] }> {
  let caught: { sql: string; params: unknown[] } | undefined;
  await levelFrom({ query: async (sql: string, params: readonly unknown[] = []) => ((caught = { sql, params: [...params] }), []) } as never, uuids);
  return caught!;
}

/**
 * Lookup by uuid, by name and range, search by tag (first page) and a 121-node dependency graph, measured
 * at each size in `sizes` on one database that grows between them, with the response cache off so every
 * request reaches the database. The graph stays the same size: what is measured is whether the table
 * around it slows it down.
 */
export async function growthBench(sizes: number[], samples: number): Promise<GrowthResult> {
  const points: GrowthPoint[] = [];
  for (const size of sizes) {
    console.log(`growth: ${size.toLocaleString('en')} components…`);
    points.push(await growthPoint(size, samples));
  }
  return { samples, points };
}

/** One size, on a database of its own: the same small graph, then `size` components around it. */
async function growthPoint(size: number, samples: number): Promise<GrowthPoint> {
  const database = await createBenchDatabase();
  const server = await startServer('postgres', { databaseUrl: database.url, cacheEntries: 0 });
  const client = new pg.Client({ connectionString: database.url });
  try {
    await client.connect();
    // A plan that cannot be had in a minute fails the scenario instead of stalling the suite.
    await client.query(`SET statement_timeout = '60s'`);
    const { rows: dag, root } = layeredDag(4, 30);
    await load(database.url, dag);
    await seedComponents(database.url, size);
    await client.query('VACUUM ANALYZE');
    const frontier = dag.filter((row) => row.name.startsWith('n1-')).map((row) => row.uuid);
    const pick = (index: number) => (index * 7919) % size;
    const lookup = await timed(server.url, BY_UUID, (index) => ({ u: uuidOf(pick(index)) }), samples);
    const byName = await timed(server.url, BY_NAME, (index) => ({ n: `component-${Math.floor(pick(index) / 5)}` }), samples);
    const searchByTag = await timed(server.url, SEARCH_TAG, (index) => ({ t: [TAGS[index % TAGS.length]] }), samples);
    const graph = await timed(server.url, GRAPH, () => ({ r: root }), Math.max(10, Math.round(samples / 5)));
    const nodes = (await graphql<{ dependencyGraph: { nodes: unknown[] } }>(server.url, GRAPH, { r: root })).dependencyGraph.nodes.length;
    const level = await levelStatement(frontier);
    const columns = `uuid::text AS "uuid", name, version, version_key AS "versionKey", type::text AS "type", lifecycle::text AS "lifecycle",
      description, owner, tags, document, revision, created_at AS "createdAt", updated_at AS "updatedAt"`;
    const plans = {
      'component(uuid)': await explain(client, `SELECT ${columns} FROM components WHERE uuid = $1::uuid`, [uuidOf(pick(3))]),
      'component(name, range): candidates': await explain(
        client,
        `SELECT uuid, version, lifecycle FROM components WHERE name = $1 AND lifecycle <> 'RETIRED'`,
        [`component-${Math.floor(pick(3) / 5)}`],
      ),
      'search(tags), first page': await explain(
        client,
        `SELECT * FROM (SELECT ${columns} FROM components WHERE tags @> $1::text[]) AS c ORDER BY c.name, c."versionKey" DESC, c.uuid LIMIT $2`,
        [['yaml'], 21],
      ),
      'dependencyGraph, one level (30 nodes)': await explain(client, level.sql, level.params),
    };
    return { components: size, lookup, byName, searchByTag, graph: { ...graph, nodes }, plans };
  } finally {
    await client.end().catch(() => {});
    await server.stop();
    await database.drop();
  }
}
