// `npm run bench [-- --quick]`: runs the scenarios, keeps each one's figures in bench/results/, and renders
// every result kept there into docs/benchmarks.md.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot } from '../src/paths.js';
import { coreLoop, type CoreLoopResult } from './core-loop.js';
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

async function store(scenario: string, runs: number, results: unknown): Promise<void> {
  const record: StoredResult = { scenario, ranAt: new Date().toISOString(), machine: await machine(), runs, results };
  await writeFile(join(resultsDir, `${scenario}${quick ? '.quick' : ''}.json`), `${JSON.stringify(record, null, 2)}\n`);
}

function renderCoreLoop(record: StoredResult): string {
  const rows = (record.results as CoreLoopResult[]).map(
    (r) =>
      `| ${r.engine} | ${r.components.toLocaleString('en')} | register | ${r.register.p50} | ${r.register.p95} | ${r.register.p99} | ${r.register.max} |\n` +
      `| ${r.engine} | ${r.components.toLocaleString('en')} | component(uuid) | ${r.lookup.p50} | ${r.lookup.p95} | ${r.lookup.p99} | ${r.lookup.max} |`,
  );
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
}

const renderers: Record<string, (record: StoredResult) => string> = { 'core-loop': renderCoreLoop };

async function render(): Promise<void> {
  const files = (await readdir(resultsDir)).filter((file) => file.endsWith('.json') && !file.includes('.quick.')).sort();
  const sections: string[] = [];
  for (const file of files) {
    const record = JSON.parse(await readFile(join(resultsDir, file), 'utf8')) as StoredResult;
    const m = record.machine;
    sections.push(
      `${renderers[record.scenario]!(record)}\n\nMachine: ${m.cpu}, ${m.memoryGiB} GiB, Node ${m.node}, PostgreSQL ${m.postgres}; ` +
        `server, database and client on the same machine. Runs: ${record.runs}. Measured ${record.ranAt.slice(0, 10)}.`,
    );
  }
  const header = '# Benchmarks\n\nWritten by `npm run bench` from `bench/results/`; do not edit by hand.\n';
  await writeFile(join(packageRoot(), 'docs', 'benchmarks.md'), `${header}\n${sections.join('\n\n')}\n`);
}

const count = quick ? 500 : 10_000;
const results: CoreLoopResult[] = [];
for (const engine of ['postgres', 'pglite'] as const) {
  console.log(`core loop on ${engine}: ${count} components…`);
  const result = await coreLoop(engine, count);
  console.log(JSON.stringify(result));
  results.push(result);
}
await store('core-loop', 1, results);
await render();
console.log('wrote docs/benchmarks.md');
