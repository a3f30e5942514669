import { appendFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import Keyv from 'keyv';
import type { ComponentFieldsFragment, DependencyGraphQuery } from '../generated/graphql.js';
import { EntryFileStore } from './entry-files.js';

/** Bumped whenever the entries' shape or layout changes; a folder written with another format is set aside, not read. */
export const CACHE_FORMAT = 2;

/**
 * One folder per registry endpoint, named after it (registry-cache-127.0.0.1-4000-graphql), so answers from
 * one registry never stand in for another's when --url changes.
 */
export function cacheFolderName(url: string): string {
  const parsed = new URL(url);
  const port = parsed.port || (parsed.protocol === 'https:' ? '443' : '80');
  const where = `${parsed.hostname}-${port}${parsed.pathname}`.replace(/[^a-zA-Z0-9.]+/g, '-').replace(/-+$/, '');
  return `registry-cache-${where}`;
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
const COMPONENT_PREFIX = 'component:';
const GRAPH_PREFIX = 'graph:';
/** Entries written at once: enough to keep the disk busy, few enough to stay far from the open-file limit. */
const WRITE_BATCH = 64;

/**
 * Lookups are counted one byte each, appended to `hits` or `misses`: appends of one byte never interleave, so
 * concurrent processes never lose a count, and reading the counts is a stat.
 */
const COUNTER_FILES = { hits: 'hits', misses: 'misses' } as const;

/** Components are keyed by name and uuid, both immutable: a name's versions are found from the listing alone. */
function componentKey(component: Pick<CachedComponentValue, 'name' | 'uuid'>): string {
  return `${COMPONENT_PREFIX}${component.name}:${component.uuid.toLowerCase()}`;
}

/** `$OMNIBASE_CACHE_DIR`, else `$XDG_CACHE_HOME/omnibase`, else `~/.cache/omnibase`. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.OMNIBASE_CACHE_DIR?.trim() || join(env.XDG_CACHE_HOME?.trim() || join(homedir(), '.cache'), 'omnibase');
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

/**
 * The CLI's write-through cache of one registry: a folder with one file per entry (the components, graphs and
 * sync cursor the registry last returned, each with the time it was stored), behind Keyv. Any number of CLI
 * processes may read and write it at once (see EntryFileStore).
 */
export class RegistryCache {
  private formatMarked: boolean;

  private constructor(
    readonly path: string,
    private readonly store: EntryFileStore,
    private readonly keyv: Keyv,
    formatMarked: boolean,
  ) {
    this.formatMarked = formatMarked;
  }

  /**
   * Opens the cache of the registry at `url` in `dir`. A folder written by another cache format is renamed
   * beside itself with a warning and an empty cache starts: a cache is never worth a crash. A folder without a
   * marker is taken as this format (a purge in another process removes the marker while writes go on).
   */
  static async open(dir: string, url: string, warn: (line: string) => void): Promise<RegistryCache> {
    const path = join(dir, cacheFolderName(url));
    const store = new EntryFileStore(path, (file, reason) => warn(`warning: discarded the cache entry ${file}, which does not parse (${reason})`));
    const keyv = new Keyv({ store, namespace: NAMESPACE, serialize: undefined, deserialize: undefined });
    const format = await keyv.get<number>(FORMAT_KEY);
    if (format === CACHE_FORMAT || format === undefined) return new RegistryCache(path, store, keyv, format === CACHE_FORMAT);
    const label = `format-${format}`;
    const aside = `${path}.${label}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    try {
      await rename(path, aside);
      warn(`warning: set the cache folder ${path} aside as ${aside} because it has cache format ${format}, this CLI uses ${CACHE_FORMAT}; starting an empty cache`);
    } catch (error) {
      // Another process set it aside first.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return RegistryCache.open(dir, url, warn);
  }

  /** Writes entries, the format marker first (once per process), so no entry is ever found without one. */
  private async write(entries: ReadonlyArray<readonly [string, unknown]>): Promise<void> {
    if (!this.formatMarked) {
      await this.keyv.set(FORMAT_KEY, CACHE_FORMAT);
      this.formatMarked = true;
    }
    for (let start = 0; start < entries.length; start += WRITE_BATCH) {
      await Promise.all(entries.slice(start, start + WRITE_BATCH).map(([key, value]) => this.keyv.set(key, value)));
    }
  }

  /** Keys as Keyv knows them (without the namespace) that start, and end, as given. */
  private async keysWith(prefix: string, suffix = ''): Promise<string[]> {
    return (await this.store.keys({ prefix: `${NAMESPACE}:${prefix}`, suffix })).map((key) => key.slice(NAMESPACE.length + 1));
  }

  private async values<T>(keys: string[]): Promise<Array<Cached<T>>> {
    const values = await this.keyv.getMany<Cached<T>>(keys);
    return values.filter((value): value is Cached<T> => value !== undefined);
  }

  async component(uuid: string): Promise<Cached<CachedComponentValue> | undefined> {
    const [key] = await this.keysWith(COMPONENT_PREFIX, `:${uuid.toLowerCase()}`);
    return key ? this.keyv.get(key) : undefined;
  }

  /** Every cached version of one component name. */
  async componentsNamed(name: string): Promise<Array<Cached<CachedComponentValue>>> {
    return this.values(await this.keysWith(`${COMPONENT_PREFIX}${name}:`));
  }

  /** Every cached component, in no particular order. */
  async components(): Promise<Array<Cached<CachedComponentValue>>> {
    return this.values(await this.keysWith(COMPONENT_PREFIX));
  }

  /**
   * Stores components as the registry gave them, never over a newer revision already cached: a `get` that
   * read revision 3 must not undo what a concurrent sync stored of revision 4, which the sync's cursor has
   * moved past for good.
   */
  async storeComponents(components: readonly CachedComponentValue[], storedAt = Date.now(), sync?: SyncState): Promise<void> {
    const keys = components.map(componentKey);
    const current = await this.keyv.getMany<Cached<CachedComponentValue>>(keys);
    const entries: Array<readonly [string, unknown]> = [];
    components.forEach((value, index) => {
      const cached = current[index];
      if (!cached || cached.value.revision <= value.revision) entries.push([keys[index]!, { value, storedAt }]);
    });
    if (sync) entries.push([SYNC_KEY, sync]);
    await this.write(entries);
  }

  async graph(key: string): Promise<Cached<CachedGraphValue> | undefined> {
    return this.keyv.get(`${GRAPH_PREFIX}${key}`);
  }

  /** Stores a dependencyGraph answer under the arguments that produced it. */
  async storeGraph(key: string, value: CachedGraphValue, storedAt = Date.now()): Promise<void> {
    await this.write([[`${GRAPH_PREFIX}${key}`, { value, storedAt }]]);
  }

  async syncState(): Promise<SyncState | undefined> {
    return this.keyv.get(SYNC_KEY);
  }

  /** Counts one lookup for the hit ratio: a hit when the cache gave the answer. */
  async countLookup(hit: boolean): Promise<void> {
    const file = join(this.path, hit ? COUNTER_FILES.hits : COUNTER_FILES.misses);
    await mkdir(this.path, { recursive: true });
    await appendFile(file, '+');
  }

  async stats(): Promise<CacheStats> {
    const [components, graphs, hits, misses, sync, bytes] = await Promise.all([
      this.keysWith(COMPONENT_PREFIX),
      this.keysWith(GRAPH_PREFIX),
      fileSize(join(this.path, COUNTER_FILES.hits)),
      fileSize(join(this.path, COUNTER_FILES.misses)),
      this.syncState(),
      this.bytes(),
    ]);
    return {
      path: this.path,
      entries: components.length + graphs.length,
      components: components.length,
      graphs: graphs.length,
      bytes,
      hits,
      misses,
      hitRatio: hits + misses === 0 ? null : hits / (hits + misses),
      lastSync: sync ? new Date(sync.lastSync).toISOString() : null,
      cursor: sync?.cursor ?? null,
    };
  }

  private async bytes(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw error;
    }
    const sizes = await Promise.all(names.map((name) => fileSize(join(this.path, name))));
    return sizes.reduce((total, size) => total + size, 0);
  }

  /** Empties the cache, counters and sync cursor included; returns how many entries it held. */
  async purge(): Promise<number> {
    const { entries } = await this.stats();
    await this.store.clear();
    this.formatMarked = false;
    await Promise.all(Object.values(COUNTER_FILES).map((name) => rm(join(this.path, name), { force: true })));
    return entries;
  }
}
