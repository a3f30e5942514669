import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import pg from 'pg';
import { versionSortKey } from '../src/metadata/version-key.js';
import { dependencyGraph } from '../src/resolvers/graph.js';
import { graphql, percentiles, startServer, type Engine, type Percentiles } from './support.js';

export interface GraphBenchResult {
  /** Which shape (GRAPH_SCENARIOS); absent in results stored before there were several. */
  readonly scenario?: GraphScenarioName;
  readonly engine?: Engine;
  readonly components: number;
  readonly layers: number;
  readonly nodes: number;
  readonly edges: number;
  readonly runs: number;
  readonly wholeGraph: Percentiles & { responseBytes: number };
  readonly nested3: Percentiles & { responseBytes: number };
  readonly peakServerRssMiB: number;
  /**
   * Where the whole graph's time goes, measured in the bench process on the server's database (PostgreSQL only):
   * the walk statement as the driver returns it (database, transfer, parse), then the layout in graph.ts.
   */
  readonly phases?: { readonly statement: Percentiles; readonly layout: Percentiles };
}

interface Row {
  uuid: string;
  name: string;
  version: string;
  dependencies: Array<{ name: string; version_spec: string } | { uuid: string }>;
}

const RANGES = ['^1', '>=1.0.0', '*', '~1.1.0', '1.x'];

/**
 * A layered DAG: a root depending on every node of the first layer (through hubs of 250 when the layer is wider
 * than a document may declare), then `layers` layers of `width` nodes each depending on three nodes of the next
 * (shared sub-trees, every node reachable). A fifth of the names
 * have two versions that several of the ranges match; every tenth dependency is pinned by uuid.
 */
export function layeredDag(layers: number, width: number): { rows: Row[]; root: string } {
  const layer = (depth: number) => Array.from({ length: width }, (_, index) => ({ name: `n${depth}-${index}`, uuids: [] as string[] }));
  const names = Array.from({ length: layers }, (_, depth) => layer(depth));
  const rows: Row[] = [];
  for (let depth = layers - 1; depth >= 0; depth -= 1) {
    for (const [index, node] of names[depth]!.entries()) {
      const versions = index % 5 === 0 ? ['1.0.0', '1.1.0'] : ['1.1.0'];
      for (const version of versions) {
        const dependencies: Row['dependencies'] = [];
        if (depth + 1 < layers) {
          for (const offset of [0, 1, 7]) {
            const target = names[depth + 1]![(index + offset) % width]!;
            const pick = index + offset;
            dependencies.push(pick % 10 === 0 ? { uuid: target.uuids.at(-1)! } : { name: target.name, version_spec: RANGES[pick % RANGES.length]! });
          }
        }
        const uuid = randomUUID();
        node.uuids.push(uuid);
        rows.push({ uuid, name: node.name, version, dependencies });
      }
    }
  }
  // A document declares at most 256 dependencies: past that, the root reaches the first layer through hubs.
  let top = names[0]!.map((node) => ({ name: node.name, version_spec: '^1' }));
  if (top.length > 256) {
    const hubs: Row[] = [];
    for (let start = 0; start < top.length; start += 250) {
      hubs.push({ uuid: randomUUID(), name: `hub-${hubs.length}`, version: '1.0.0', dependencies: top.slice(start, start + 250) });
    }
    rows.push(...hubs);
    top = hubs.map((hub) => ({ name: hub.name, version_spec: '^1' }));
  }
  const root = randomUUID();
  rows.push({ uuid: root, name: 'root', version: '1.0.0', dependencies: top });
  return { rows, root };
}

/** A chain `length` deep: a root, then each component depending on the next by range, the last on nothing. */
export function chain(length: number): { rows: Row[]; root: string } {
  const rows: Row[] = [];
  let below: string | null = null;
  for (let depth = length; depth >= 0; depth -= 1) {
    const uuid = randomUUID();
    rows.push({ uuid, name: `c${depth}`, version: '1.0.0', dependencies: below === null ? [] : [{ name: below, version_spec: '^1' }] });
    below = `c${depth}`;
  }
  return { rows, root: rows.at(-1)!.uuid };
}

export type GraphScenarioName = 'wide-10k' | 'wide-100k' | 'chain-1000' | 'deep-45' | 'wide-10k-embedded';

/** The graph scenarios, each with its bar on the p50 of the whole graph (SPEC §7 and issue 14). */
export interface GraphScenario {
  readonly engine: Engine;
  readonly shape: () => { rows: Row[]; root: string };
  readonly layers: number;
  readonly title: string;
  /** The bar: p50 below this many ms, or within `factor` × another scenario's p50 in the same run. */
  readonly bar: { readonly ms: number } | { readonly scenario: GraphScenarioName; readonly factor: number };
}

export const GRAPH_SCENARIOS: Record<GraphScenarioName, GraphScenario> = {
  'wide-10k': { engine: 'postgres', shape: () => layeredDag(10, 1_000), layers: 10, bar: { ms: 120 }, title: 'layered DAG, 10 levels of 1,000' },
  'wide-100k': { engine: 'postgres', shape: () => layeredDag(20, 5_000), layers: 20, bar: { ms: 1_500 }, title: 'layered DAG, 20 levels of 5,000' },
  'chain-1000': { engine: 'postgres', shape: () => chain(1_000), layers: 1_000, bar: { ms: 60 }, title: 'a chain 1,000 deep' },
  'deep-45': { engine: 'postgres', shape: () => layeredDag(45, 45), layers: 45, bar: { ms: 50 }, title: 'layered DAG, 45 levels of 45' },
  'wide-10k-embedded': { engine: 'pglite', shape: () => layeredDag(10, 1_000), layers: 10, bar: { scenario: 'wide-10k', factor: 2 }, title: 'the same, on the embedded database' },
};

const documentOf = (row: Row) => ({
  schema_version: '0.3', uuid: row.uuid, name: row.name, version: row.version, type: 'tool', lifecycle: 'active',
  ...(row.dependencies.length ? { dependencies: row.dependencies } : {}),
});

/** Loads through the API (registerMany, in batches): the embedded database is reachable only through its server. */
async function loadOverApi(url: string, token: string, rows: Row[]): Promise<void> {
  for (let start = 0; start < rows.length; start += 1_000) {
    await graphql(url, 'mutation($m: [JSON!]!) { registerMany(metadata: $m) { registered } }', { m: rows.slice(start, start + 1_000).map(documentOf) }, token);
  }
}

export async function load(databaseUrl: string, rows: Row[]): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  for (let start = 0; start < rows.length; start += 2000) {
    const batch = rows.slice(start, start + 2000);
    const documents = batch.map(documentOf);
    await client.query(
      `INSERT INTO components (uuid, name, version, version_key, type, lifecycle, document, revision)
       SELECT u, n, v, k, 'TOOL', 'ACTIVE', d, 1 FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::jsonb[]) AS t(u, n, v, k, d)`,
      [batch.map((r) => r.uuid), batch.map((r) => r.name), batch.map((r) => r.version), batch.map((r) => versionSortKey(r.version)), documents.map((d) => JSON.stringify(d))],
    );
    const declarations = batch.flatMap((row) => row.dependencies.map((dep, position) => ({ from: row.uuid, position, dep })));
    await client.query(
      `INSERT INTO component_dependencies (component_uuid, position, dependency_name, version_spec, dependency_uuid)
       SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::uuid[])`,
      [
        declarations.map((d) => d.from),
        declarations.map((d) => d.position),
        declarations.map((d) => ('name' in d.dep ? d.dep.name : null)),
        declarations.map((d) => ('name' in d.dep ? d.dep.version_spec : null)),
        declarations.map((d) => ('uuid' in d.dep ? d.dep.uuid : null)),
      ],
    );
  }
  // Rows written around the registry's writes: their resolutions are computed here, as after a bulk SQL load.
  await client.query('SELECT registry_resolve_all()');
  await client.query('ANALYZE');
  await client.end();
}

const WHOLE_GRAPH = `query($r: UUID!) { dependencyGraph(root: $r) {
  nodes { depth component { uuid name version } } edges { from to versionSpec }
  unresolved { from name versionSpec uuid } cycles isDag truncated } }`;
const NESTED_3 = `query($r: UUID!) { component(uuid: $r) { dependencies { versionSpec resolved { uuid name version
  dependencies { versionSpec resolved { uuid name version dependencies { versionSpec resolved { uuid name version } } } } } } } }`;

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kib / 1024);
}

/** One POST with node:http, the whole body read as bytes: the least a client can spend on a large answer. */
function post(url: string, body: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

async function timed(url: string, query: string, variables: Record<string, unknown>, runs: number) {
  const samples: number[] = [];
  let bytes = 0;
  const body = JSON.stringify({ query, variables });
  for (let run = 0; run < runs + 1; run += 1) {
    const started = performance.now();
    const response = await post(url, body);
    const elapsed = performance.now() - started;
    // The answer is checked after the clock stops: an error must fail the benchmark, not speed it up.
    if (response.status !== 200 || response.body.includes('"errors":')) {
      throw new Error(`graph query failed: ${response.body.subarray(0, 300).toString()}`);
    }
    bytes = response.body.length;
    if (run > 0) samples.push(elapsed); // the first run warms the server up
  }
  return { ...percentiles(samples), responseBytes: bytes };
}

/** The walk statement and the layout timed apart, in this process, over the server's database: runs after a warm-up. */
async function phases(databaseUrl: string, root: string, runs: number): Promise<NonNullable<GraphBenchResult['phases']>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    let statementMs = 0;
    const db = {
      async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
        const started = performance.now();
        const { rows } = await client.query(sql, params);
        statementMs += performance.now() - started;
        return rows as T[];
      },
    };
    const statement: number[] = [];
    const layout: number[] = [];
    for (let run = 0; run < runs + 1; run += 1) {
      statementMs = 0;
      const started = performance.now();
      await dependencyGraph({ db } as unknown as Parameters<typeof dependencyGraph>[0], root, { summaries: false });
      if (run === 0) continue;
      statement.push(statementMs);
      layout.push(performance.now() - started - statementMs);
    }
    return { statement: percentiles(statement), layout: percentiles(layout) };
  } finally {
    await client.end();
  }
}

export async function graphBench(name: GraphScenarioName, runs: number): Promise<GraphBenchResult> {
  const scenario = GRAPH_SCENARIOS[name];
  // The response cache off: a repeated request must be computed, whatever the size of its answer.
  const server = await startServer(scenario.engine, { cacheEntries: 0 });
  try {
    const { rows, root } = scenario.shape();
    if (server.databaseUrl) await load(server.databaseUrl, rows);
    else await loadOverApi(server.url, await server.token(), rows);
    const shape = await graphql<{ dependencyGraph: { nodes: unknown[]; edges: unknown[]; isDag: boolean; truncated: boolean } }>(
      server.url,
      `query($r: UUID!) { dependencyGraph(root: $r) { nodes { depth } edges { to } isDag truncated } }`,
      { r: root },
    );
    if (!shape.dependencyGraph.isDag || shape.dependencyGraph.truncated) throw new Error('the benchmark graph is not a whole DAG');
    const wholeGraph = await timed(server.url, WHOLE_GRAPH, { r: root }, runs);
    const nested3 = await timed(server.url, NESTED_3, { r: root }, runs);
    const peakServerRssMiB = peakRssMiB(server.process.pid!);
    return {
      scenario: name,
      engine: scenario.engine,
      components: rows.length,
      layers: scenario.layers,
      nodes: shape.dependencyGraph.nodes.length,
      edges: shape.dependencyGraph.edges.length,
      runs,
      wholeGraph,
      nested3,
      peakServerRssMiB,
      ...(server.databaseUrl ? { phases: await phases(server.databaseUrl, root, runs) } : {}),
    };
  } finally {
    await server.stop();
  }
}
