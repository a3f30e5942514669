import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cacheFolderName, RegistryCache } from '../../cli/cache/store.js';
import { ExitCode } from '../../cli/exit-codes.js';
import { sleep } from '../ops/support.js';
import { cli, setEnv } from './helpers.js';
import { component, startCliRegistry, type CliRegistry } from './fixtures/registry.js';
import { killChildren, omnibase, startOmnibase } from './processes.js';

// Several CLI processes on one cache folder, as a person's shell and a background `sync --watch` share it.
const GROUPS = 8;
const PER_GROUP = 25;
const uuidOf = (group: number, index: number) => `6f1c2a9e-${String(group).padStart(4, '0')}-4222-8333-${String(index).padStart(12, '0')}`;

let registry: CliRegistry;

beforeAll(async () => {
  registry = await startCliRegistry();
  const files: string[] = [];
  for (let group = 0; group < GROUPS; group += 1) {
    for (let index = 0; index < PER_GROUP; index += 1) {
      files.push(await registry.file(`g${group}-${index}.yml`, component({ uuid: uuidOf(group, index), name: `tool-${group}-${index}`, version: '1.0.0', tags: [`group-${group}`] })));
    }
  }
  const added = await cli('registry', 'add', ...files);
  expect(added.code, added.stderr).toBe(ExitCode.Ok);
});

afterEach(killChildren);
afterAll(async () => {
  await registry?.close();
});

function folderOf(cacheDir: string): string {
  return join(cacheDir, cacheFolderName(registry.url));
}

async function openCache(cacheDir: string, warnings: string[] = []): Promise<RegistryCache> {
  return RegistryCache.open(cacheDir, registry.url, (line) => warnings.push(line));
}

/** The uuids of every component the cache holds. */
async function cachedUuids(cacheDir: string): Promise<Set<string>> {
  return new Set((await (await openCache(cacheDir)).components()).map((entry) => entry.value.uuid));
}

describe('a cache shared by concurrent CLI processes', () => {
  it(`${GROUPS} processes writing different entries at once lose none`, async () => {
    const cacheDir = await registry.freshCache();
    const results = await Promise.all(
      Array.from({ length: GROUPS }, (_, group) => omnibase(['registry', 'ls', '--tag', `group-${group}`, '--output', 'json'], { OMNIBASE_CACHE_DIR: cacheDir }, 'sources')),
    );
    for (const result of results) expect(result.code, result.stderr).toBe(ExitCode.Ok);
    const uuids = await cachedUuids(cacheDir);
    expect(uuids.size).toBe(GROUPS * PER_GROUP);
    for (let group = 0; group < GROUPS; group += 1) for (let index = 0; index < PER_GROUP; index += 1) expect(uuids.has(uuidOf(group, index))).toBe(true);
  });

  it('a process killed (SIGKILL) mid-write leaves a readable cache with everything written before it', async () => {
    const cacheDir = await registry.freshCache();
    expect((await cli('registry', 'ls', '--tag', 'group-0')).code).toBe(ExitCode.Ok);
    const folder = folderOf(cacheDir);
    const before = (await readdir(folder)).length;

    // The sync writes all the other components; it is killed as soon as its first entries land.
    const sync = startOmnibase(['registry', 'sync'], { OMNIBASE_CACHE_DIR: cacheDir });
    const deadline = Date.now() + 60_000;
    while ((await readdir(folder)).length <= before) {
      expect(sync.child.exitCode, `sync ended before it wrote: ${sync.stderr()}`).toBeNull();
      expect(Date.now()).toBeLessThan(deadline);
      await sleep(2);
    }
    sync.child.kill('SIGKILL');
    expect(await sync.exited).toBe('SIGKILL');

    // Every entry file parses; what the earlier process wrote is all there; nothing warns.
    const names = await readdir(folder);
    for (const name of names.filter((file) => file.endsWith('.json'))) JSON.parse(await readFile(join(folder, name), 'utf8'));
    const warnings: string[] = [];
    const cache = await openCache(cacheDir, warnings);
    const uuids = new Set((await cache.components()).map((entry) => entry.value.uuid));
    for (let index = 0; index < PER_GROUP; index += 1) expect(uuids.has(uuidOf(0, index))).toBe(true);
    expect(uuids.size).toBeLessThan(GROUPS * PER_GROUP);
    expect(warnings).toEqual([]);
    const offline = await cli('registry', 'get', uuidOf(0, 3), '--offline', '--output', 'json');
    expect(offline.stderr).toBe('');
    expect(JSON.parse(offline.stdout)).toMatchObject({ uuid: uuidOf(0, 3) });
    expect(await cli('registry', 'cache', 'stats')).toMatchObject({ code: ExitCode.Ok, stderr: '' });

    // The next sync finishes the job.
    expect((await cli('registry', 'sync')).code).toBe(ExitCode.Ok);
    expect((await cachedUuids(cacheDir)).size).toBe(GROUPS * PER_GROUP);
  });

  it('sync --watch alongside registry get and graph keeps both processes\' entries', async () => {
    const cacheDir = await registry.freshCache();
    const watch = startOmnibase(['registry', 'sync', '--watch', '--interval', '1s'], { OMNIBASE_CACHE_DIR: cacheDir });
    const late = uuidOf(99, 1);
    try {
      // Graphs are written only by `graph`, and lookups counted only by reads that consult the cache: the
      // watch would wipe them if it wrote back a snapshot of the cache it read at start.
      for (let group = 0; group < 4; group += 1) {
        const child = { OMNIBASE_CACHE_DIR: cacheDir };
        const [graph, get] = await Promise.all([
          omnibase(['registry', 'graph', uuidOf(group, 0)], child, 'sources'),
          omnibase(['registry', 'get', uuidOf(group, 1), '--prefer-offline'], child, 'sources'),
        ]);
        expect(graph.code, graph.stderr).toBe(ExitCode.Ok);
        expect(get.code, get.stderr).toBe(ExitCode.Ok);
      }
      // A change made meanwhile by someone else (with a cache of their own) reaches this cache through the watch.
      const file = await registry.file('late.yml', component({ uuid: late, name: 'late-tool', version: '1.0.0' }));
      const restore = setEnv({ OMNIBASE_CACHE_DIR: join(registry.dir, 'someone-else') });
      try {
        expect((await cli('registry', 'add', file)).code).toBe(ExitCode.Ok);
      } finally {
        restore();
      }
      const deadline = Date.now() + 60_000;
      while (!(await cachedUuids(cacheDir)).has(late)) {
        expect(Date.now(), watch.stderr()).toBeLessThan(deadline);
        await sleep(200);
      }
    } finally {
      watch.child.kill('SIGTERM');
      expect(await watch.exited).toBe(0);
    }
    expect(watch.stderr()).toBe('stopped by SIGTERM\n');
    const stats = await (await openCache(cacheDir)).stats();
    expect(stats).toMatchObject({ graphs: 4, components: GROUPS * PER_GROUP + 1 });
    expect(stats.hits + stats.misses).toBe(4);
  });
});
