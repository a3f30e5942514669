import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOOKUP } from './lookup.js';
import { runLoad } from './load.js';
import { createBenchDatabase, seedComponents, startServer, uuidOf } from './support.js';

/** What one uncached, authenticated lookup costs the server's CPU, and where that time goes. */
export interface ReadProfile {
  readonly components: number;
  readonly connections: number;
  readonly durationS: number;
  readonly throughput: number;
  /** Server CPU time (not idle) per answered request, in microseconds. */
  readonly cpuPerRequestUs: number;
  /** Share of the server's CPU by what it was spent on, largest first, in per cent. */
  readonly shares: Array<{ cost: string; percent: number }>;
}

// Each sample is charged to the innermost frame whose file names one of these, in this order of precedence.
const COSTS: Array<[string, RegExp]> = [
  ['token verification', /src\/auth\//],
  ['head read (cache validity, revocations)', /src\/cache\/(registry|write)-head/],
  ['response cache', /src\/cache\/response-cache|lru-cache/],
  ['request log (pino)', /pino|sonic-boom|src\/observability\/telemetry|fast-json-stringify|@pinojs/],
  ['GraphQL phase histograms (envelop, prom-client)', /@envelop\/prometheus|prom-client|src\/observability\/metrics/],
  ['query limits (graphql-armor)', /graphql-armor/],
  ['parse and validate', /graphql\/language|graphql\/validation/],
  ['execution (graphql-jit, Pothos, resolvers)', /graphql-jit|@pothos|src\/schema|src\/resolvers|graphql\/execution|dataloader/],
  ['Prisma client', /@prisma\/client|@prisma\/adapter-pg/],
  ['pg driver and protocol', /node_modules\/pg|pg-protocol|pg-pool|pg-types/],
  ['Request/Response wrapping (Yoga, whatwg-node)', /@whatwg-node|graphql-yoga|@envelop\/core|src\/server/],
  ['Node http, sockets, streams', /node:_http|node:net|node:internal\/streams|node:internal\/stream_base|node:events|node:internal\/abort|domexception/],
];

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string }; children?: number[] }>;
  samples: number[];
  timeDeltas: number[];
}

/** Shares of the samples taken after `fromUs` (microseconds since the profile began), idle left out. */
function sharesOf(profile: CpuProfile, fromUs: number): { shares: ReadProfile['shares']; busyUs: number } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const charged = new Map<string, number>();
  let busyUs = 0;
  let at = 0;
  profile.samples.forEach((sample, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    at += delta;
    const leaf = byId.get(sample)!.callFrame.functionName;
    if (at < fromUs || leaf === '(idle)') return;
    busyUs += delta;
    let cost: string | undefined = leaf === '(garbage collector)' ? 'garbage collection' : undefined;
    for (let id: number | undefined = sample; !cost && id !== undefined; id = parent.get(id)) {
      const url = byId.get(id)!.callFrame.url;
      cost = COSTS.find(([, pattern]) => pattern.test(url))?.[0];
    }
    cost ??= 'V8 and other native work';
    charged.set(cost, (charged.get(cost) ?? 0) + delta);
  });
  const shares = [...charged]
    .map(([cost, us]) => ({ cost, percent: Math.round((us / busyUs) * 1000) / 10 }))
    .sort((a, b) => b.percent - a.percent);
  return { shares, busyUs };
}

/**
 * `component(uuid)` with a token and the response cache off, as every read is right after a write, under
 * load from `connections` connections; the server runs with --cpu-prof, and only samples taken during the
 * measured load are counted.
 */
export async function readProfile(components: number, connections: number, durationS: number): Promise<ReadProfile> {
  const database = await createBenchDatabase();
  const profileDir = await mkdtemp(join(tmpdir(), 'omnibase-profile-'));
  try {
    const spawned = performance.now();
    const server = await startServer('postgres', { databaseUrl: database.url, cacheEntries: 0, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] });
    let throughput: number;
    let requests: number;
    let loadStartedUs: number;
    try {
      await seedComponents(database.url, components);
      const token = await server.token();
      const request = {
        body: () => JSON.stringify({ query: LOOKUP, variables: { u: uuidOf(Math.floor(Math.random() * components)) } }),
        check: (_status: number, body: string) => body.includes('"uuid"'),
      };
      const headers = { authorization: `Bearer ${token}` };
      await runLoad({ url: server.url, connections, durationS: 3, request, headers });
      loadStartedUs = (performance.now() - spawned) * 1000;
      const load = await runLoad({ url: server.url, connections, durationS, request, headers });
      throughput = load.throughput;
      requests = load.requests;
    } finally {
      await server.stop();
    }
    const [file] = (await readdir(profileDir)).filter((name) => name.endsWith('.cpuprofile'));
    if (!file) throw new Error('the server wrote no CPU profile');
    const profile = JSON.parse(await readFile(join(profileDir, file), 'utf8')) as CpuProfile;
    // The profile starts with the process, a little after the spawn: counting from the spawn's offset only
    // ever leaves out the first moments of the load, never start-up.
    const { shares, busyUs } = sharesOf(profile, loadStartedUs);
    return { components, connections, durationS, throughput, cpuPerRequestUs: Math.round(busyUs / requests), shares };
  } finally {
    await rm(profileDir, { recursive: true, force: true });
    await database.drop();
  }
}
