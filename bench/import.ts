import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../src/paths.js';
import { layeredDag } from './graph.js';
import { graphql, startServer, type Engine } from './support.js';

export interface ImportResult {
  readonly engine: Engine;
  readonly components: number;
  readonly edges: number;
  /** Wall time of `omnibase registry add <dir>`, from spawn to exit. */
  readonly wallMs: number;
  /** What the registry holds afterwards, read through the API. */
  readonly registered: number;
  readonly graphNodes: number;
  readonly isDag: boolean;
}

/** Runs the built CLI to completion; rejects with its stderr when it exits otherwise than 0. */
function omnibase(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['dist/cli/main.js', ...args], { cwd: packageRoot(), env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`omnibase ${args.join(' ')} exited with ${code}: ${stderr.slice(-2000)}`))));
  });
}

/**
 * An organisation arriving with a layered DAG of `layers` × `width` names (a fifth in two versions, each node
 * depending on three of the next layer by range or pin), one JSON file per component, named by uuid so the
 * files come in no useful order. `omnibase registry add <dir>` registers all of it into a fresh server.
 */
export async function importBench(engine: Engine, layers: number, width: number): Promise<ImportResult> {
  // The layered DAG's root declares every name of the first layer, more than the 256 dependencies a document
  // may declare: an import has no such root, and the graph is read back from a node of the first layer.
  const { rows: all, root: tooWide } = layeredDag(layers, width);
  const rows = all.filter((row) => row.uuid !== tooWide);
  const root = rows.filter((row) => row.name === 'n0-0').at(-1)!.uuid;
  const dir = await mkdtemp(join(tmpdir(), 'omnibase-import-'));
  const server = await startServer(engine);
  try {
    for (const row of rows) {
      const document = {
        schema_version: '0.3', uuid: row.uuid, name: row.name, version: row.version, type: 'tool', lifecycle: 'active',
        ...(row.dependencies.length ? { dependencies: row.dependencies } : {}),
      };
      await writeFile(join(dir, `${row.uuid}.json`), JSON.stringify(document));
    }
    const token = await server.token();
    const cacheDir = await mkdtemp(join(tmpdir(), 'omnibase-import-cache-'));
    const env = { ...process.env, OMNIBASE_URL: server.url, OMNIBASE_TOKEN: token, OMNIBASE_CACHE_DIR: cacheDir };
    const started = performance.now();
    await omnibase(['registry', 'add', dir, '--output', 'json'], env);
    const wallMs = Math.round(performance.now() - started);
    await rm(cacheDir, { recursive: true, force: true });
    const { search } = await graphql<{ search: { totalCount: number } }>(server.url, '{ search(first: 1) { totalCount } }');
    const { dependencyGraph } = await graphql<{ dependencyGraph: { nodes: unknown[]; isDag: boolean } }>(
      server.url,
      'query($r: UUID!) { dependencyGraph(root: $r) { nodes { depth } isDag } }',
      { r: root },
    );
    return {
      engine,
      components: rows.length,
      edges: rows.reduce((sum, row) => sum + row.dependencies.length, 0),
      wallMs,
      registered: search.totalCount,
      graphNodes: dependencyGraph.nodes.length,
      isDag: dependencyGraph.isDag,
    };
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
