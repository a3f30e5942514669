import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../src/paths.js';
import { percentiles, seedComponents, startServer, uuidOf, type Percentiles } from './support.js';

const run = promisify(execFile);

/** The cache sizes measured: the registry's first hour, and the scale SPEC §7 names. */
const SIZES = [100, 10_000] as const;

export interface CliOfflineCase {
  /** Components in the registry, all of them in the cache. */
  readonly components: number;
  /** `get <uuid> --offline`. */
  readonly byUuid: Percentiles;
  /** `get <name>@^1 --offline`: the range resolved among the cached versions of the name. */
  readonly byName: Percentiles;
}

export interface CliOfflineResult {
  readonly runs: number;
  /** `node -e 0` in the same run: what any Node.js process costs on this machine under this load. */
  readonly node: Percentiles;
  readonly cases: CliOfflineCase[];
}

/** Wall time of `node dist/cli/main.js <args>`, spawn to exit, `runs` times after one unmeasured run. */
async function wallTimes(args: string[], env: NodeJS.ProcessEnv, runs: number, expect: string): Promise<Percentiles> {
  const wall: number[] = [];
  for (let index = 0; index < runs + 1; index += 1) {
    const started = performance.now();
    const { stdout } = await run(process.execPath, args, { env });
    const elapsed = performance.now() - started;
    if (!stdout.includes(expect)) throw new Error(`${args.join(' ')} did not answer from the cache: ${stdout.slice(0, 200)}`);
    if (index > 0) wall.push(elapsed); // the first run warms the file cache
  }
  return percentiles(wall);
}

/**
 * `omnibase registry get --offline` as a user runs it: the built CLI (dist/), a whole process each time,
 * answering from a cache that `registry ls` filled with every component of the registry.
 */
export async function cliOfflineBench(runs: number): Promise<CliOfflineResult> {
  const main = join(packageRoot(), 'dist', 'cli', 'main.js');
  if (!existsSync(main)) throw new Error('cli-offline measures the built CLI: run `npm run build` first');
  const node = await wallTimes(['-e', 'console.log("ok")'], process.env, runs, 'ok');
  const cases: CliOfflineCase[] = [];
  for (const components of SIZES) {
    const server = await startServer('postgres');
    const dir = await mkdtemp(join(tmpdir(), 'omnibase-bench-cli-'));
    try {
      await seedComponents(server.databaseUrl!, components);
      const env = { ...process.env, OMNIBASE_URL: server.url, OMNIBASE_CACHE_DIR: join(dir, 'cache'), OMNIBASE_CONFIG_DIR: join(dir, 'config') };
      await run(process.execPath, [main, 'registry', 'ls', '--limit', String(components), '--output', 'json'], { env, maxBuffer: 1024 ** 3 });
      const uuid = uuidOf(components - 3);
      // Seeded names come in five versions each (component-N, 1.0.0 to 1.4.0).
      const name = `component-${Math.floor((components - 3) / 5)}`;
      cases.push({
        components,
        byUuid: await wallTimes([main, 'registry', 'get', uuid, '--offline', '--output', 'json'], env, runs, uuid),
        byName: await wallTimes([main, 'registry', 'get', `${name}@^1`, '--offline', '--output', 'json'], env, runs, '"version": "1.4.0"'),
      });
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }
  return { runs, node, cases };
}

const ms = (value: number) => value.toLocaleString('en', { maximumFractionDigits: 1 });
const lat = (p: Percentiles) => `${ms(p.p50)} / ${ms(p.p95)} / ${ms(p.p99)}`;
const verdict = (p: Percentiles) => `< 300 ms wall: **${p.p95 < 300 ? 'pass' : 'fail'}** (p95)`;

/** The scenario as bench/run.ts registers it. */
export function cliOfflineScenario(quick: boolean) {
  return {
    async run() {
      const runs = quick ? 3 : 20;
      return { runs, results: await cliOfflineBench(runs) };
    },
    render(record: { results: unknown }) {
      const r = record.results as CliOfflineResult;
      return [
        '## `omnibase registry get` from the cache, offline',
        '',
        'The built CLI (`node dist/cli/main.js registry get … --offline --output json`), a whole process each run, answering ' +
          'from a cache (one file per entry) that `registry ls` filled with every component of the registry; wall time from ' +
          'spawn to exit, after one unmeasured run. Concurrency 1; errors: any failed run stops the scenario. For scale, ' +
          `a bare \`node -e\` took ${lat(r.node)} ms in the same run.`,
        '',
        '| components cached | get | runs | p50 / p95 / p99 (ms) | bar |',
        '|---|---|---|---|---|',
        ...r.cases.flatMap((c) => [
          `| ${c.components.toLocaleString('en')} | by uuid | ${r.runs} | ${lat(c.byUuid)} | ${verdict(c.byUuid)} |`,
          `| ${c.components.toLocaleString('en')} | by name@^1 | ${r.runs} | ${lat(c.byName)} | ${verdict(c.byName)} |`,
        ]),
      ].join('\n');
    },
  };
}
