import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../src/paths.js';
import { percentiles, seedComponents, startServer, uuidOf, type Percentiles } from './support.js';

const run = promisify(execFile);

export interface CliOfflineResult {
  readonly runs: number;
  readonly wall: Percentiles;
}

/**
 * `omnibase registry get <uuid> --offline` as a user runs it: the built CLI (dist/), a whole process each
 * time, answering from the cache an online `get` filled. Wall time from spawn to exit.
 */
export async function cliOfflineBench(runs: number): Promise<CliOfflineResult> {
  const main = join(packageRoot(), 'dist', 'cli', 'main.js');
  if (!existsSync(main)) throw new Error('cli-offline measures the built CLI: run `npm run build` first');
  const server = await startServer('postgres');
  const dir = await mkdtemp(join(tmpdir(), 'omnibase-bench-cli-'));
  try {
    await seedComponents(server.databaseUrl!, 100);
    const env = { ...process.env, OMNIBASE_URL: server.url, OMNIBASE_CACHE_DIR: join(dir, 'cache'), OMNIBASE_CONFIG_DIR: join(dir, 'config') };
    await run(process.execPath, [main, 'registry', 'get', uuidOf(7), '--output', 'json'], { env });
    const wall: number[] = [];
    for (let index = 0; index < runs + 1; index += 1) {
      const started = performance.now();
      const { stdout } = await run(process.execPath, [main, 'registry', 'get', uuidOf(7), '--offline', '--output', 'json'], { env });
      const elapsed = performance.now() - started;
      if (!stdout.includes(uuidOf(7))) throw new Error(`the offline get did not answer from the cache: ${stdout.slice(0, 200)}`);
      if (index > 0) wall.push(elapsed); // the first run warms the file cache
    }
    return { runs, wall: percentiles(wall) };
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
