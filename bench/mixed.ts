import { randomUUID } from 'node:crypto';
import { runLoad, runPaced, type LoadOptions, type LoadResult } from './load.js';
import { percentiles, seedComponents, startServer, uuidOf, type Percentiles } from './support.js';

const REGISTER = `mutation($m: JSON!) { register(metadata: $m) { registered uuid } }`;
const UPDATE = `mutation($u: UUID!, $p: JSON!) { update(uuid: $u, patch: $p) { changed revision } }`;
const BY_UUID = `query($u: UUID!) { component(uuid: $u) { uuid name version revision description } }`;
const BY_NAME = `query($n: String!, $r: String!) { component(name: $n, versionSpec: $r) { uuid name version } }`;
const SEARCH = `query($t: [String!]) { search(tags: $t, first: 20) { edges { node { uuid name version } } pageInfo { hasNextPage endCursor } } }`;
const VERIFY = `query($u: UUID!) { component(uuid: $u) { revision description history { revision metadata } } }`;
const TAGS = ['yaml', 'json', 'lint', 'schema', 'canary', 'security', 'perf', 'docs', 'python', 'rust', 'k8s', 'sql'];

/** A write the registry acknowledged, with the content it acknowledged. */
type Acknowledged =
  | { kind: 'register'; uuid: string; description: string }
  | { kind: 'update'; uuid: string; revision: number; token: string };

export interface MixedResult {
  readonly components: number;
  /** Requests per second offered by the writers and by the readers, or null when each sent as fast as it was answered. */
  readonly offered: { writers: number; readers: number } | null;
  readonly writers: LoadResult;
  readonly readers: LoadResult;
  readonly durationS: number;
  /** Writes and reads answered per second, together. */
  readonly opsPerSecond: number;
  readonly latency: Percentiles;
  readonly errors: number;
  readonly acknowledged: { registers: number; updates: number };
  /** Acknowledged writes read back afterwards with the content acknowledged, and those that were not. */
  readonly verified: number;
  readonly unverified: number;
  /** Mean ms per commit by phase (registry_write_phase_ms), and the response cache's hit ratio, from the server's /metrics. */
  readonly server: ServerFigures;
}

export interface ServerFigures {
  readonly commits: number;
  readonly writeMeanMs: { total: number; database: number; lockWait: number };
  readonly cacheHitRatio: number;
  /** The event loop's delay at the 99th percentile over the run, from Node's own histogram. */
  readonly eventLoopLagP99Ms: number;
}

/** The server's own account of the run: where commits spent their time, the cache, the event loop. */
async function serverFigures(graphqlUrl: string): Promise<ServerFigures> {
  const text = await (await fetch(graphqlUrl.replace(/\/graphql$/, '/metrics'))).text();
  const sum = (pattern: RegExp) =>
    [...text.matchAll(pattern)].reduce((total, match) => total + Number(match[1]), 0);
  const phase = (name: string) => ({
    sum: sum(new RegExp(`^registry_write_phase_ms_sum\\{[^}]*phase="${name}"[^}]*\\} (\\S+)$`, 'gm')),
    count: sum(new RegExp(`^registry_write_phase_ms_count\\{[^}]*phase="${name}"[^}]*\\} (\\S+)$`, 'gm')),
  });
  const total = phase('total');
  const mean = (part: { sum: number }) => (total.count ? Math.round((part.sum / total.count) * 100) / 100 : 0);
  return {
    commits: total.count,
    writeMeanMs: { total: mean(total), database: mean(phase('database')), lockWait: mean(phase('lock_wait')) },
    cacheHitRatio: sum(/^registry_cache_hit_ratio (\S+)$/gm),
    eventLoopLagP99Ms: Math.round(sum(/^nodejs_eventloop_lag_p99_seconds (\S+)$/gm) * 1000 * 10) / 10,
  };
}

const strip = ({ latencies: _, ...rest }: LoadResult) => rest as LoadResult;

/** Paced at `rate` requests per second when one is given, else every connection as fast as it is answered. */
const drive = (rate: number | undefined, options: LoadOptions) => (rate ? runPaced({ ...options, rate }) : runLoad(options));

/**
 * 50 writers (half registering new components, half patching seeded ones) and 200 readers (by uuid, by
 * name and range, search by tag) at once over `components` seeded components, each connection as fast as
 * it is answered, or all of them together held to the rates `offered`. Afterwards every acknowledged
 * write is read back through the API and compared with what was acknowledged.
 */
export async function mixedBench(
  components: number,
  durationS: number,
  { writers = 50, readers = 200, offered }: { writers?: number; readers?: number; offered?: { writers: number; readers: number } } = {},
): Promise<MixedResult> {
  const server = await startServer('postgres');
  try {
    await seedComponents(server.databaseUrl!, components);
    const token = await server.token();
    const acknowledged: Acknowledged[] = [];
    const random = (below: number) => Math.floor(Math.random() * below);

    const writerLoad = drive(offered?.writers, {
      url: server.url,
      connections: writers,
      durationS,
      headers: { authorization: `Bearer ${token}` },
      request: {
        body(context) {
          const n = ((context.n as number | undefined) ?? random(2)) + 1;
          context.n = n;
          if (n % 2 === 0) {
            const uuid = randomUUID();
            const description = `registered under load ${uuid}`;
            context.pending = { kind: 'register', uuid, description };
            const metadata = { schema_version: '0.3', uuid, name: `mixed-${uuid}`, version: '1.0.0', type: 'tool', description, tags: ['mixed', TAGS[random(12)]] };
            return JSON.stringify({ query: REGISTER, variables: { m: metadata } });
          }
          const uuid = uuidOf(random(components));
          const writeToken = randomUUID();
          context.pending = { kind: 'update', uuid, token: writeToken };
          return JSON.stringify({ query: UPDATE, variables: { u: uuid, p: { description: `patched ${writeToken}`, annotations: { bench: writeToken } } } });
        },
        check(_status, body, context) {
          const pending = context.pending as Acknowledged;
          const data = (JSON.parse(body) as { data?: { register?: { registered: boolean }; update?: { changed: boolean; revision: number } } }).data;
          if (pending.kind === 'register') {
            if (data?.register?.registered !== true) return false;
            acknowledged.push(pending);
          } else {
            if (data?.update?.changed !== true) return false;
            acknowledged.push({ ...pending, revision: data.update.revision });
          }
          return true;
        },
      },
    });
    const readerLoad = drive(offered?.readers, {
      url: server.url,
      connections: readers,
      durationS,
      request: {
        body() {
          const pick = random(3);
          const index = random(components);
          if (pick === 0) return JSON.stringify({ query: BY_UUID, variables: { u: uuidOf(index) } });
          if (pick === 1) return JSON.stringify({ query: BY_NAME, variables: { n: `component-${Math.floor(index / 5)}`, r: '^1' } });
          return JSON.stringify({ query: SEARCH, variables: { t: [TAGS[index % 12]] } });
        },
      },
    });
    const [writing, reading] = await Promise.all([writerLoad, readerLoad]);
    const figures = await serverFigures(server.url);
    console.log(`mixed: ${acknowledged.length} writes acknowledged; reading each back…`);
    const { verified, unverified } = await verify(server.url, acknowledged);
    const all = [...(writing.latencies ?? []), ...(reading.latencies ?? [])];
    return {
      components,
      offered: offered ?? null,
      writers: strip(writing),
      readers: strip(reading),
      durationS,
      opsPerSecond: Math.round(((writing.throughput + reading.throughput) * 10)) / 10,
      latency: percentiles(all.length ? all : [0]),
      errors: writing.errors + reading.errors,
      acknowledged: {
        registers: acknowledged.filter((write) => write.kind === 'register').length,
        updates: acknowledged.filter((write) => write.kind === 'update').length,
      },
      verified,
      unverified,
      server: figures,
    };
  } finally {
    await server.stop();
  }
}

/** Reads every component an acknowledged write touched once, then checks each write against it. */
async function verify(url: string, acknowledged: Acknowledged[]): Promise<{ verified: number; unverified: number }> {
  const byUuid = new Map<string, Acknowledged[]>();
  for (const write of acknowledged) byUuid.set(write.uuid, [...(byUuid.get(write.uuid) ?? []), write]);
  const uuids = [...byUuid.keys()];
  let verified = 0;
  let unverified = 0;
  let next = 0;
  const worker = async () => {
    while (next < uuids.length) {
      const uuid = uuids[next++]!;
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: VERIFY, variables: { u: uuid } }),
      });
      const body = (await response.json()) as {
        data?: { component: { revision: number; history: Array<{ revision: number; metadata: { description?: string; annotations?: { bench?: string } } }> } | null };
      };
      const component = body.data?.component;
      const history = new Map((component?.history ?? []).map((entry) => [entry.revision, entry.metadata]));
      for (const write of byUuid.get(uuid)!) {
        const ok =
          component != null &&
          (write.kind === 'register'
            ? history.get(1)?.description === write.description
            : history.get(write.revision)?.annotations?.bench === write.token && component.revision >= write.revision);
        if (ok) verified += 1;
        else {
          unverified += 1;
          if (unverified <= 3) console.error(`  not readable as acknowledged: ${JSON.stringify(write)}`);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return { verified, unverified };
}
