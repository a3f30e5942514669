import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveCached, searchCached } from '../../cli/cache/offline.js';
import { describeAge } from '../../cli/cache/read-through.js';
import { CACHE_FORMAT, cacheDir, cacheFileName, RegistryCache, type CachedComponentValue } from '../../cli/cache/store.js';
import { InvalidVersionSpecError } from '../../src/resolvers/errors.js';
import { tempDir } from './helpers.js';

const URL = 'http://127.0.0.1:4000/graphql';
const FILE = 'registry-cache-127.0.0.1-4000-graphql.json';

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
  it('names its file after the endpoint and lives in OMNIBASE_CACHE_DIR, else the XDG cache dir', () => {
    expect(cacheFileName(URL)).toBe(FILE);
    expect(cacheFileName('https://registry.example.org/api/graphql/')).toBe('registry-cache-registry.example.org-443-api-graphql.json');
    expect(cacheFileName('http://[::1]:4000/graphql')).toBe('registry-cache--1-4000-graphql.json');
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

  it.each([
    ['does not parse', '{"cache": [', /because it does not parse: /, 'corrupt'],
    ['is not a keyv-file cache', '[1, 2, 3]', /because it is not a keyv-file cache; starting an empty cache$/, 'corrupt'],
    ['is of another format', JSON.stringify({ cache: [['omnibase:meta:format', { value: { value: 99 } }], ['omnibase:component:a', { value: { value: {} } }]] }), /because it has cache format 99, this CLI uses 1;/, 'format-99'],
    ['has no format marker', JSON.stringify({ cache: [['something', { value: 1 }]] }), /because it has cache format unknown, this CLI uses 1;/, 'format-unknown'],
  ])('sets a file that %s aside with a warning and starts empty', async (_what, content, message, label) => {
    await writeFile(join(dir, FILE), content);
    const cache = await RegistryCache.open(dir, URL, warn);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(new RegExp(`^warning: set the cache file ${join(dir, FILE)} aside as ${join(dir, FILE)}\\.${label}-[\\dT-]+Z `));
    expect(warnings[0]).toMatch(message);
    expect(await cache.stats()).toMatchObject({ entries: 0 });
    const files = await readdir(dir);
    const aside = files.find((name) => name.startsWith(`${FILE}.${label}-`));
    expect(await readFile(join(dir, aside!), 'utf8')).toBe(content);
    expect(files).not.toContain(FILE);
    await cache.storeComponents([entry({ uuid: 'b', name: 'y', version: '1.0.0' })]);
    expect(JSON.parse(await readFile(join(dir, FILE), 'utf8')).cache).toContainEqual(['omnibase:meta:format', { value: { value: CACHE_FORMAT } }]);
  });

  it('counts lookups in a file of their own, so a read answered from the cache leaves the entries file as it was', async () => {
    const counters = FILE.replace(/\.json$/, '.counters.json');
    const cache = await RegistryCache.open(dir, URL, warn);
    await cache.storeComponents([entry({ uuid: 'a', name: 'x', version: '1.0.0' })]);
    const before = await readFile(join(dir, FILE));
    await cache.countLookup(true);
    expect(await readFile(join(dir, FILE))).toEqual(before);
    expect(await readdir(dir)).toContain(counters);
    await writeFile(join(dir, counters), 'not json');
    const reopened = await RegistryCache.open(dir, URL, warn);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`set the cache file ${join(dir, counters)} aside`);
    expect(await reopened.stats()).toMatchObject({ components: 1, hits: 0, misses: 0 });
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
