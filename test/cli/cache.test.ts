import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveCached, searchCached } from '../../cli/cache/offline.js';
import { EntryFileStore } from '../../cli/cache/entry-files.js';
import { describeAge } from '../../cli/cache/read-through.js';
import { CACHE_FORMAT, cacheDir, cacheFolderName, RegistryCache, type CachedComponentValue } from '../../cli/cache/store.js';
import { InvalidVersionSpecError } from '../../src/resolvers/errors.js';
import { tempDir } from './helpers.js';

const URL = 'http://127.0.0.1:4000/graphql';
const FOLDER = 'registry-cache-127.0.0.1-4000-graphql';

function entry(fields: Partial<CachedComponentValue> & { uuid: string; name: string; version: string }): CachedComponentValue {
  return {
    type: 'VALIDATOR',
    lifecycle: 'ACTIVE',
    description: null,
    owner: null,
    tags: [],
    metadata: {},
    revision: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    dependencies: [],
    ...fields,
  };
}

let dir: string;
let remove: () => Promise<void>;
let warnings: string[];
const warn = (line: string) => warnings.push(line);

beforeEach(async () => {
  ({ dir, remove } = await tempDir('omnibase-cache-'));
  warnings = [];
});
afterEach(async () => {
  await remove();
});

describe('RegistryCache', () => {
  it('names its folder after the endpoint and lives in OMNIBASE_CACHE_DIR, else the XDG cache dir', () => {
    expect(cacheFolderName(URL)).toBe(FOLDER);
    expect(cacheFolderName('https://registry.example.org/api/graphql/')).toBe('registry-cache-registry.example.org-443-api-graphql');
    expect(cacheFolderName('http://[::1]:4000/graphql')).toBe('registry-cache--1-4000-graphql');
    expect(cacheDir({ OMNIBASE_CACHE_DIR: '/x/cache' })).toBe('/x/cache');
    expect(cacheDir({ XDG_CACHE_HOME: '/home/u/.cache' })).toBe('/home/u/.cache/omnibase');
    expect(cacheDir({})).toMatch(/\/\.cache\/omnibase$/);
  });

  it('stores components with their age, survives reopening, and counts lookups', async () => {
    const cache = await RegistryCache.open(dir, URL, warn);
    expect(await cache.stats()).toMatchObject({ entries: 0, bytes: 0, hitRatio: null, lastSync: null });
    await cache.storeComponents([entry({ uuid: 'a', name: 'x', version: '1.0.0' })], 1_000, { cursor: '7', lastSync: 2_000 });
    await cache.countLookup(true);
    await cache.countLookup(false);
    const reopened = await RegistryCache.open(dir, URL, warn);
    expect(await reopened.component('A')).toEqual({ value: entry({ uuid: 'a', name: 'x', version: '1.0.0' }), storedAt: 1_000 });
    expect(await reopened.stats()).toMatchObject({ entries: 1, components: 1, hits: 1, misses: 1, hitRatio: 0.5, cursor: '7', lastSync: new Date(2_000).toISOString() });
    expect(warnings).toEqual([]);
    expect(await reopened.purge()).toBe(1);
    expect(await (await RegistryCache.open(dir, URL, warn)).stats()).toMatchObject({ entries: 0, hits: 0, cursor: null });
  });

  it('keeps one file per entry, named after its key, and finds a name\'s versions from the listing', async () => {
    const cache = await RegistryCache.open(dir, URL, warn);
    await cache.storeComponents([
      entry({ uuid: 'a', name: 'x', version: '1.0.0' }),
      entry({ uuid: 'b', name: 'x', version: '2.0.0' }),
      entry({ uuid: 'c', name: 'xy', version: '1.0.0' }),
    ]);
    expect((await readdir(join(dir, FOLDER))).sort()).toEqual([
      'omnibase%3Acomponent%3Ax%3Aa.json',
      'omnibase%3Acomponent%3Ax%3Ab.json',
      'omnibase%3Acomponent%3Axy%3Ac.json',
      'omnibase%3Ameta%3Aformat.json',
    ]);
    expect((await cache.componentsNamed('x')).map((cached) => cached.value.uuid).sort()).toEqual(['a', 'b']);
    expect(await cache.componentsNamed('nothing')).toEqual([]);
    expect(await cache.component('d')).toBeUndefined();
  });

  it('never replaces a newer revision with an older one, which a concurrent sync may have stored first', async () => {
    const cache = await RegistryCache.open(dir, URL, warn);
    await cache.storeComponents([entry({ uuid: 'a', name: 'x', version: '1.0.0', revision: 4, description: 'new' })], 2_000);
    await cache.storeComponents([entry({ uuid: 'a', name: 'x', version: '1.0.0', revision: 3, description: 'old' })], 3_000);
    expect(await cache.component('a')).toMatchObject({ value: { revision: 4, description: 'new' }, storedAt: 2_000 });
    await cache.storeComponents([entry({ uuid: 'a', name: 'x', version: '1.0.0', revision: 4, description: 'new' })], 4_000);
    expect(await cache.component('a')).toMatchObject({ storedAt: 4_000 });
  });

  it('sets a folder of another cache format aside with a warning and starts empty', async () => {
    const cache = await RegistryCache.open(dir, URL, warn);
    await cache.storeComponents([entry({ uuid: 'a', name: 'x', version: '1.0.0' })]);
    await writeFile(join(dir, FOLDER, 'omnibase%3Ameta%3Aformat.json'), JSON.stringify({ value: 99 }));
    const reopened = await RegistryCache.open(dir, URL, warn);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      new RegExp(`^warning: set the cache folder ${join(dir, FOLDER)} aside as ${join(dir, FOLDER)}\\.format-99-[\\dT-]+Z because it has cache format 99, this CLI uses ${CACHE_FORMAT}; starting an empty cache$`),
    );
    expect(await reopened.stats()).toMatchObject({ entries: 0 });
    expect((await readdir(dir)).filter((name) => name.startsWith(`${FOLDER}.format-99-`))).toHaveLength(1);
    await reopened.storeComponents([entry({ uuid: 'b', name: 'y', version: '1.0.0' })]);
    expect(JSON.parse(await readFile(join(dir, FOLDER, 'omnibase%3Ameta%3Aformat.json'), 'utf8'))).toEqual({ value: CACHE_FORMAT });
  });

  it('discards one damaged entry with a warning and keeps the others', async () => {
    const cache = await RegistryCache.open(dir, URL, warn);
    await cache.storeComponents([entry({ uuid: 'a', name: 'x', version: '1.0.0' }), entry({ uuid: 'b', name: 'x', version: '2.0.0' })]);
    const damaged = join(dir, FOLDER, 'omnibase%3Acomponent%3Ax%3Aa.json');
    await writeFile(damaged, '{"value": {"uuid"');
    expect((await cache.componentsNamed('x')).map((cached) => cached.value.uuid)).toEqual(['b']);
    expect(warnings).toEqual([expect.stringMatching(new RegExp(`^warning: discarded the cache entry ${damaged}, which does not parse \\(`))]);
    expect(await cache.stats()).toMatchObject({ components: 1 });
  });

  it('ignores what a write killed half-way leaves behind: temporary files are not entries', async () => {
    const cache = await RegistryCache.open(dir, URL, warn);
    await cache.storeComponents([entry({ uuid: 'a', name: 'x', version: '1.0.0' })]);
    await writeFile(join(dir, FOLDER, 'omnibase%3Acomponent%3Ax%3Ab.json.12345'), '{"value": {"uu');
    expect(await cache.stats()).toMatchObject({ components: 1 });
    expect((await cache.componentsNamed('x')).map((cached) => cached.value.uuid)).toEqual(['a']);
    expect(warnings).toEqual([]);
    await cache.purge();
    expect(await readdir(join(dir, FOLDER))).toEqual([]);
  });

  it('counts lookups by appending to files of their own, so a read answered from the cache rewrites no entry', async () => {
    const cache = await RegistryCache.open(dir, URL, warn);
    await cache.storeComponents([entry({ uuid: 'a', name: 'x', version: '1.0.0' })]);
    const entryFile = join(dir, FOLDER, 'omnibase%3Acomponent%3Ax%3Aa.json');
    const before = await readFile(entryFile);
    await Promise.all([cache.countLookup(true), cache.countLookup(true), cache.countLookup(false)]);
    expect(await readFile(entryFile)).toEqual(before);
    expect(await readFile(join(dir, FOLDER, 'hits'), 'utf8')).toBe('++');
    expect(await cache.stats()).toMatchObject({ hits: 2, misses: 1 });
  });

  it('keeps graphs under the arguments that produced them', async () => {
    const cache = await RegistryCache.open(dir, URL, warn);
    const graph = { root: { uuid: 'a', name: 'x', version: '1.0.0' }, nodes: [], edges: [], unresolved: [], cycles: [], isDag: true, truncated: false };
    await cache.storeGraph('a:DEPENDENCIES:all', graph, 5);
    expect(await cache.graph('a:DEPENDENCIES:all')).toEqual({ value: graph, storedAt: 5 });
    expect(await cache.graph('a:DEPENDENTS:all')).toBeUndefined();
    expect(await cache.stats()).toMatchObject({ entries: 1, graphs: 1, components: 0 });
  });
});

describe('offline answers', () => {
  const cached = [
    { value: entry({ uuid: '1', name: 'lint', version: '1.0.0', tags: ['yaml'], description: 'Checks YAML files' }), storedAt: 1 },
    { value: entry({ uuid: '2', name: 'lint', version: '1.5.0', tags: ['yaml', 'canary'] }), storedAt: 2 },
    { value: entry({ uuid: '3', name: 'lint', version: '2.0.0', lifecycle: 'RETIRED', tags: ['yaml'] }), storedAt: 3 },
    { value: entry({ uuid: '4', name: 'lint', version: '2.1.0-beta.1', tags: ['yaml'] }), storedAt: 4 },
    { value: entry({ uuid: '5', name: 'alpha', version: '0.1.0', type: 'TOOL', lifecycle: 'EXPERIMENTAL', tags: ['canary'] }), storedAt: 5 },
  ];

  it('resolves name@range over cached versions with the registry rule: highest satisfying, never retired', () => {
    expect(resolveCached(cached, 'lint', '*')?.value.uuid).toBe('2');
    expect(resolveCached(cached, 'lint', '>=2.1.0-0')?.value.uuid).toBe('4');
    expect(resolveCached(cached, 'lint', '2.0.0')).toBeUndefined();
    expect(resolveCached(cached, 'lint', '^1.0.0')).toEqual({ value: cached[1]!.value, storedAt: 2 });
    expect(resolveCached(cached, 'nothing', '*')).toBeUndefined();
    expect(() => resolveCached(cached, 'lint', 'nope!')).toThrow(InvalidVersionSpecError);
  });

  it('filters like search: every tag, type, lifecycle, words of the text, latest per name, ordered by name then newest', () => {
    const uuids = (filters: Parameters<typeof searchCached>[1]) => searchCached(cached, filters).map((hit) => hit.value.uuid);
    expect(uuids({})).toEqual(['5', '4', '3', '2', '1']);
    expect(uuids({ tags: ['yaml', 'canary'] })).toEqual(['2']);
    expect(uuids({ type: 'TOOL' })).toEqual(['5']);
    expect(uuids({ lifecycle: 'RETIRED' })).toEqual(['3']);
    expect(uuids({ text: 'yaml FILES' })).toEqual(['1']);
    expect(uuids({ text: 'canary or' })).toEqual(['5', '2']);
    expect(uuids({ latestOnly: true })).toEqual(['5', '4']);
    expect(uuids({ latestOnly: true, tags: ['canary'] })).toEqual(['5', '2']);
  });

  it('describes ages in the largest whole unit', () => {
    const now = 10_000_000_000;
    expect(describeAge(now, now)).toBe('just now');
    expect(describeAge(now + 5_000, now)).toBe('just now');
    expect(describeAge(now - 1_000, now)).toBe('1 second ago');
    expect(describeAge(now - 125_000, now)).toBe('2 minutes ago');
    expect(describeAge(now - 3 * 3_600_000, now)).toBe('3 hours ago');
    expect(describeAge(now - 86_400_000, now)).toBe('1 day ago');
  });
});

describe('EntryFileStore, the Keyv store behind the cache', () => {
  it('gets, sets, deletes and clears entries, each a file of its own', async () => {
    const unreadable: string[] = [];
    const folder = join(dir, 'entries');
    const store = new EntryFileStore(folder, (file) => unreadable.push(file));
    expect(await store.keys()).toEqual([]);
    expect(await store.get('a')).toBeUndefined();
    await store.set('ns:a', { value: 1 });
    await store.set('ns:b', { value: 2 });
    await store.set('other:c', { value: 3 });
    expect(await store.has('ns:a')).toBe(true);
    expect(await store.getMany(['ns:a', 'ns:missing'])).toEqual([{ value: 1 }, undefined]);
    expect((await store.keys({ prefix: 'ns:' })).sort()).toEqual(['ns:a', 'ns:b']);
    expect(await store.keys({ suffix: ':c' })).toEqual(['other:c']);
    expect(await store.delete('ns:a')).toBe(true);
    expect(await store.delete('ns:a')).toBe(false);
    expect(await store.deleteMany(['ns:b', 'ns:gone'])).toBe(false);
    expect(await store.keys()).toEqual(['other:c']);
    await writeFile(join(folder, 'other%3Ad.json.1234'), 'half a wri');
    await store.clear();
    expect(await readdir(folder)).toEqual([]);
    await store.disconnect();
    expect(unreadable).toEqual([]);
  });
});
