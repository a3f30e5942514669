import { existsSync, renameSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import Keyv from 'keyv';
import { KeyvFile } from 'keyv-file';
import type { ComponentFieldsFragment, DependencyGraphQuery } from '../generated/graphql.js';

/** Bumped whenever the entries' shape changes; a file written with another format is set aside, not read. */
export const CACHE_FORMAT = 1;

/**
 * One file per registry endpoint, named after it (registry-cache-127.0.0.1-4000-graphql.json), so answers
 * from one registry never stand in for another's when --url changes.
 */
export function cacheFileName(url: string): string {
  const parsed = new URL(url);
  const port = parsed.port || (parsed.protocol === 'https:' ? '443' : '80');
  const where = `${parsed.hostname}-${port}${parsed.pathname}`.replace(/[^a-zA-Z0-9.]+/g, '-').replace(/-+$/, '');
  return `registry-cache-${where}.json`;
}

export type CachedComponentValue = ComponentFieldsFragment;
export type CachedGraphValue = DependencyGraphQuery['dependencyGraph'];

export interface Cached<T> {
  readonly value: T;
  /** When the registry gave this answer, in ms since the epoch. */
  readonly storedAt: number;
}

export interface SyncState {
  /** The change feed's endCursor after the last sync; null before the first. */
  readonly cursor: string | null;
  readonly lastSync: number;
}

export interface CacheStats {
  readonly path: string;
  readonly entries: number;
  readonly components: number;
  readonly graphs: number;
  readonly bytes: number;
  readonly hits: number;
  readonly misses: number;
  /** hits / (hits + misses); null before the first lookup. */
  readonly hitRatio: number | null;
  readonly lastSync: string | null;
  readonly cursor: string | null;
}

const NAMESPACE = 'omnibase';
const FORMAT_KEY = 'meta:format';
const SYNC_KEY = 'meta:sync';
const COUNTERS_KEY = 'meta:counters';
const COMPONENT_PREFIX = 'component:';
const GRAPH_PREFIX = 'graph:';

/** `$OMNIBASE_CACHE_DIR`, else `$XDG_CACHE_HOME/omnibase`, else `~/.cache/omnibase`. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.OMNIBASE_CACHE_DIR?.trim() || join(env.XDG_CACHE_HOME?.trim() || join(homedir(), '.cache'), 'omnibase');
}

/** Why a cache file cannot be used, or undefined when it can. */
type Unusable = { reason: string; label: string } | undefined;

/** One keyv-file JSON file behind a Keyv. */
interface Store {
  readonly path: string;
  readonly file: KeyvFile;
  readonly keyv: Keyv;
}

function openStore(path: string): Store & { problem: Unusable } {
  let problem: Unusable;
  const file = new KeyvFile({
    filename: path,
    writeDelay: 0,
    // Plain JSON: the entries hold nothing else, and keyv-file's default codec (a reviver and a hand-written
    // serialiser that escape Buffers) is several times slower on a cache of thousands of components.
    serialize: (data) => JSON.stringify(data),
    deserialize: (raw) => {
      try {
        const data = JSON.parse(raw.toString()) as { cache?: unknown } | null;
        if (typeof data === 'object' && data !== null && Array.isArray(data.cache)) return data;
        problem = { reason: 'it is not a keyv-file cache', label: 'corrupt' };
      } catch (error) {
        problem = { reason: `it does not parse: ${(error as Error).message}`, label: 'corrupt' };
      }
      return { cache: [], lastExpire: Date.now() };
    },
  });
  // Values are stored as objects: keyv-file serialises the whole file once, so keyv need not serialise each.
  const keyv = new Keyv({ store: file, namespace: NAMESPACE, serialize: undefined, deserialize: undefined });
  return { path, file, keyv, problem };
}

/**
 * Opens one cache file. A file that does not parse, or that another cache format wrote, is renamed beside
 * itself with a warning and an empty one takes its place: a cache is never worth a crash.
 */
async function openChecked(path: string, warn: (line: string) => void): Promise<Store> {
  const store = openStore(path);
  let problem = store.problem;
  if (!problem && [...(await store.file.keys())].length > 0) {
    const format = await store.keyv.get<number>(FORMAT_KEY);
    if (format !== CACHE_FORMAT) {
      problem = { reason: `it has cache format ${format ?? 'unknown'}, this CLI uses ${CACHE_FORMAT}`, label: `format-${format ?? 'unknown'}` };
    }
  }
  if (!problem) return store;
  const aside = `${path}.${problem.label}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  renameSync(path, aside);
  warn(`warning: set the cache file ${path} aside as ${aside} because ${problem.reason}; starting an empty cache`);
  return openChecked(path, warn);
}

/** Writes every entry in one save of the file, with the format marker. */
async function write(store: Store, entries: ReadonlyArray<readonly [string, unknown]>): Promise<void> {
  await Promise.all([[FORMAT_KEY, CACHE_FORMAT] as const, ...entries].map(([key, value]) => store.keyv.set(key, value)));
}

/**
 * The CLI's write-through cache of one registry: a keyv-file JSON file holding the components, graphs and
 * sync cursor the registry last returned, each with the time it was stored, and beside it a small file of
 * hit and miss counters, so that a read answered from the cache does not rewrite the large one.
 */
export class RegistryCache {
  private constructor(
    private readonly entries: Store,
    private readonly counters: Store,
  ) {}

  get path(): string {
    return this.entries.path;
  }

  private get keyv(): Keyv {
    return this.entries.keyv;
  }

  /** Opens the cache of the registry at `url` in `dir`, setting aside any file it cannot use. */
  static async open(dir: string, url: string, warn: (line: string) => void): Promise<RegistryCache> {
    const path = join(dir, cacheFileName(url));
    const [entries, counters] = [await openChecked(path, warn), await openChecked(path.replace(/\.json$/, '.counters.json'), warn)];
    return new RegistryCache(entries, counters);
  }

  private async keysWith(prefix: string): Promise<string[]> {
    const full = `${NAMESPACE}:${prefix}`;
    return [...(await this.entries.file.keys())].filter((key) => key.startsWith(full)).map((key) => key.slice(NAMESPACE.length + 1));
  }

  async component(uuid: string): Promise<Cached<CachedComponentValue> | undefined> {
    return this.keyv.get(`${COMPONENT_PREFIX}${uuid.toLowerCase()}`);
  }

  /** Every cached component, in no particular order. */
  async components(): Promise<Array<Cached<CachedComponentValue>>> {
    const keys = await this.keysWith(COMPONENT_PREFIX);
    const values = await this.keyv.getMany<Cached<CachedComponentValue>>(keys);
    return values.filter((value): value is Cached<CachedComponentValue> => value !== undefined);
  }

  async storeComponents(components: readonly CachedComponentValue[], storedAt = Date.now(), sync?: SyncState): Promise<void> {
    const entries: Array<readonly [string, unknown]> = components.map((value) => [`${COMPONENT_PREFIX}${value.uuid}`, { value, storedAt }]);
    if (sync) entries.push([SYNC_KEY, sync]);
    await write(this.entries, entries);
  }

  async graph(key: string): Promise<Cached<CachedGraphValue> | undefined> {
    return this.keyv.get(`${GRAPH_PREFIX}${key}`);
  }

  /** Stores a dependencyGraph answer under the arguments that produced it. */
  async storeGraph(key: string, value: CachedGraphValue, storedAt = Date.now()): Promise<void> {
    await write(this.entries, [[`${GRAPH_PREFIX}${key}`, { value, storedAt }]]);
  }

  async syncState(): Promise<SyncState | undefined> {
    return this.keyv.get(SYNC_KEY);
  }

  /** Counts one lookup for the hit ratio: a hit when the cache gave the answer. */
  async countLookup(hit: boolean): Promise<void> {
    const counters = (await this.counters.keyv.get<{ hits: number; misses: number }>(COUNTERS_KEY)) ?? { hits: 0, misses: 0 };
    await write(this.counters, [[COUNTERS_KEY, hit ? { ...counters, hits: counters.hits + 1 } : { ...counters, misses: counters.misses + 1 }]]);
  }

  async stats(): Promise<CacheStats> {
    const [components, graphs, counters, sync] = await Promise.all([
      this.keysWith(COMPONENT_PREFIX),
      this.keysWith(GRAPH_PREFIX),
      this.counters.keyv.get<{ hits: number; misses: number }>(COUNTERS_KEY),
      this.syncState(),
    ]);
    const { hits, misses } = counters ?? { hits: 0, misses: 0 };
    return {
      path: this.path,
      entries: components.length + graphs.length,
      components: components.length,
      graphs: graphs.length,
      bytes: [this.entries.path, this.counters.path].reduce((total, path) => total + (existsSync(path) ? statSync(path).size : 0), 0),
      hits,
      misses,
      hitRatio: hits + misses === 0 ? null : hits / (hits + misses),
      lastSync: sync ? new Date(sync.lastSync).toISOString() : null,
      cursor: sync?.cursor ?? null,
    };
  }

  /** Empties the cache, counters and sync cursor included; returns how many entries it held. */
  async purge(): Promise<number> {
    const { entries } = await this.stats();
    await Promise.all([this.keyv.clear(), this.counters.keyv.clear()]);
    return entries;
  }
}
