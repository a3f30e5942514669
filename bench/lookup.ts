import { runLoad, type LoadResult } from './load.js';
import { createBenchDatabase, seedComponents, startBaseline, startServer, uuidOf } from './support.js';

export const LOOKUP = `query($u: UUID!) { component(uuid: $u) { uuid name version lifecycle tags metadata } }`;

export interface LookupRound {
  readonly baseline: LoadResult;
  /** The registry as deployed: response cache on. */
  readonly cached: LoadResult;
  /** The registry with OMNIBASE_RESPONSE_CACHE_ENTRIES=0: every request executes. */
  readonly uncached: LoadResult;
}

export interface LookupResult {
  readonly components: number;
  readonly connections: number;
  readonly durationS: number;
  readonly rounds: LookupRound[];
}

const strip = ({ latencies: _, ...rest }: LoadResult & { latencies?: unknown }) => rest as LoadResult;

/**
 * `component(uuid)` over `components` seeded rows at `connections` connections, against the bare node:http + pg
 * baseline, the registry with its response cache and the registry without (each asked with a token), one
 * after the other in each round, so every ratio compares runs made under the same conditions.
 */
export async function lookupBench(components: number, connections: number, durationS: number, rounds: number): Promise<LookupResult> {
  const database = await createBenchDatabase();
  const stops: Array<() => Promise<void>> = [];
  try {
    const cachedServer = await startServer('postgres', { databaseUrl: database.url });
    stops.push(() => cachedServer.stop());
    await seedComponents(database.url, components);
    const uncachedServer = await startServer('postgres', { databaseUrl: database.url, cacheEntries: 0 });
    stops.push(() => uncachedServer.stop());
    const baseline = await startBaseline(database.url);
    stops.push(() => baseline.stop());

    const request = {
      body: () => JSON.stringify({ query: LOOKUP, variables: { u: uuidOf(Math.floor(Math.random() * components)) } }),
      check: (_status: number, body: string) => body.includes('"uuid"'),
    };
    // The registry is asked as a deployed client asks it, with a token; the bare baseline checks none.
    const tokens = new Map([
      [cachedServer.url, await cachedServer.token()],
      [uncachedServer.url, await uncachedServer.token()],
    ]);
    const run = async (url: string, seconds: number) => {
      const token = tokens.get(url);
      const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
      return strip(await runLoad({ url, connections, durationS: seconds, request, headers }));
    };
    // Warm-up: connections, JIT, the pool and PostgreSQL's buffers; not counted.
    for (const url of [baseline.url, cachedServer.url, uncachedServer.url]) await run(url, 2);
    const results: LookupRound[] = [];
    for (let round = 0; round < rounds; round += 1) {
      console.log(`lookup: round ${round + 1} of ${rounds}`);
      const base = await run(baseline.url, durationS);
      const cached = await run(cachedServer.url, durationS);
      const uncached = await run(uncachedServer.url, durationS);
      results.push({ baseline: base, cached, uncached });
    }
    return { components, connections, durationS, rounds: results };
  } finally {
    for (const stop of stops.reverse()) await stop().catch((error) => console.error(error));
    await database.drop();
  }
}
