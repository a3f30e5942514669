// `npm run bench [-- [scenario…] [--quick] [--render-only]]`: runs the scenarios named (all by default), keeps each one's
// figures in bench/results/, and renders every result kept there into docs/benchmarks.md.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot } from '../src/paths.js';
import { coreLoop, type CoreLoopResult } from './core-loop.js';
import { graphBench, type GraphBenchResult } from './graph.js';
import { machine } from './support.js';

const quick = process.argv.includes('--quick');
const resultsDir = join(packageRoot(), 'bench', 'results');

interface StoredResult {
  scenario: string;
  ranAt: string;
  machine: Awaited<ReturnType<typeof machine>>;
  runs: number;
  results: unknown;
}

interface Scenario {
  /** Runs the scenario and returns its figures with the number of runs behind each. */
  run(): Promise<{ runs: number; results: unknown }>;
  render(record: StoredResult): string;
}

const ms = (value: number) => value.toLocaleString('en', { maximumFractionDigits: 1 });
const kib = (bytes: number) => `${(bytes / 1024).toLocaleString('en', { maximumFractionDigits: 0 })} KiB`;

const scenarios: Record<string, Scenario> = {
  'core-loop': {
    async run() {
      const count = quick ? 500 : 10_000;
      const results: CoreLoopResult[] = [];
      for (const engine of ['postgres', 'pglite'] as const) {
        console.log(`core loop on ${engine}: ${count} components…`);
        results.push(await coreLoop(engine, count));
      }
      return { runs: 1, results };
    },
    render(record) {
      const rows = (record.results as CoreLoopResult[]).flatMap((r) => [
        `| ${r.engine} | ${r.components.toLocaleString('en')} | register | ${r.register.p50} | ${r.register.p95} | ${r.register.p99} | ${r.register.max} |`,
        `| ${r.engine} | ${r.components.toLocaleString('en')} | component(uuid) | ${r.lookup.p50} | ${r.lookup.p95} | ${r.lookup.p99} | ${r.lookup.max} |`,
      ]);
      return [
        '## Core loop: register, then component(uuid), one client',
        '',
        'One client sends one request at a time over loopback HTTP to `omnibase serve` running as its own process; ' +
          'it registers every component, then looks each up by uuid once. Latency is the whole round trip as the client sees it, in ms.',
        '',
        '| engine | components | operation | p50 | p95 | p99 | max |',
        '|---|---|---|---|---|---|---|',
        ...rows,
      ].join('\n');
    },
  },
  graph: {
    async run() {
      const runs = quick ? 3 : 7;
      const sizes = quick ? [[5, 200]] : [[10, 1_000], [20, 5_000]];
      const results: GraphBenchResult[] = [];
      for (const [layers, width] of sizes) {
        console.log(`graph: ${layers} layers × ${width}…`);
        results.push(await graphBench(layers!, width!, runs));
      }
      return { runs, results };
    },
    render(record) {
      const bar = (nodes: number, p50: number) => {
        const limit = nodes > 50_000 ? 3_000 : 250;
        return `< ${ms(limit)}: ${p50 < limit ? 'pass' : 'fail'}`;
      };
      const rows = (record.results as GraphBenchResult[]).flatMap((r) => [
        `| ${r.components.toLocaleString('en')} | ${r.nodes.toLocaleString('en')} / ${r.edges.toLocaleString('en')} | whole \`dependencyGraph\` | ${ms(r.wholeGraph.p50)} | ${ms(r.wholeGraph.p95)} | ${bar(r.nodes, r.wholeGraph.p50)} | ${kib(r.wholeGraph.responseBytes)} | ${r.peakServerRssMiB} MiB |`,
        `| ${r.components.toLocaleString('en')} | — | nested \`dependencies\`, depth 3 | ${ms(r.nested3.p50)} | ${ms(r.nested3.p95)} | — | ${kib(r.nested3.responseBytes)} | |`,
      ]);
      return [
        '## Dependency graph: whole DAG in one request (PostgreSQL)',
        '',
        'A layered DAG (a root over the first layer, then layers whose nodes each depend on three of the next: shared ' +
          'sub-trees, a fifth of the names in two versions that several ranges match, every tenth dependency pinned by ' +
          'uuid), loaded into PostgreSQL directly. One client asks for the whole graph from the root (every node with ' +
          'uuid, name, version and depth, every edge with its range), then for the root\'s dependencies nested three ' +
          'levels deep. Latency in ms, the whole round trip, after one warm-up request; peak server memory is the server ' +
          "process's peak resident set (VmHWM) after both. Bars: 10k nodes < 250 ms, 100k nodes < 3 s.",
        '',
        '| components | nodes / edges reached | query | p50 | p95 | bar (p50) | response | peak server RSS |',
        '|---|---|---|---|---|---|---|---|',
        ...rows,
      ].join('\n');
    },
  },
};

async function store(scenario: string, runs: number, results: unknown): Promise<void> {
  const record: StoredResult = { scenario, ranAt: new Date().toISOString(), machine: await machine(), runs, results };
  await writeFile(join(resultsDir, `${scenario}${quick ? '.quick' : ''}.json`), `${JSON.stringify(record, null, 2)}\n`);
}

async function render(): Promise<void> {
  const files = (await readdir(resultsDir)).filter((file) => file.endsWith('.json') && !file.includes('.quick.')).sort();
  const sections: string[] = [];
  for (const file of files) {
    const record = JSON.parse(await readFile(join(resultsDir, file), 'utf8')) as StoredResult;
    const m = record.machine;
    sections.push(
      `${scenarios[record.scenario]!.render(record)}\n\nMachine: ${m.cpu}, ${m.memoryGiB} GiB, Node ${m.node}, PostgreSQL ${m.postgres}; ` +
        `server, database and client on the same machine. Runs: ${record.runs}. Measured ${record.ranAt.slice(0, 10)}.`,
    );
  }
  const header = '# Benchmarks\n\nWritten by `npm run bench` from `bench/results/`; do not edit by hand.\n';
  await writeFile(join(packageRoot(), 'docs', 'benchmarks.md'), `${header}\n${sections.join('\n\n')}\n`);
}

// --render-only rewrites docs/benchmarks.md from the stored results without running anything.
const renderOnly = process.argv.includes('--render-only');
const named = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
for (const name of named) if (!scenarios[name]) throw new Error(`unknown scenario "${name}"; known: ${Object.keys(scenarios).join(', ')}`);
const toRun = renderOnly ? [] : named.length ? named : Object.keys(scenarios);
for (const name of toRun) {
  const { runs, results } = await scenarios[name]!.run();
  console.log(JSON.stringify(results));
  await store(name, runs, results);
}
await render();
console.log('wrote docs/benchmarks.md');
