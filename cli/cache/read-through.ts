import { OfflineError, RegistryUnreachableError } from '../client/errors.js';
import type { Cached, RegistryCache } from './store.js';

/** online: the registry first, the cache when it is unreachable; offline: the cache only; prefer-offline: a fresh enough cache entry first. */
export type CacheMode = 'online' | 'offline' | 'prefer-offline';

export interface ReadThrough<T> {
  readonly mode: CacheMode;
  /** How old an entry --prefer-offline still takes, in ms. */
  readonly ttlMs: number;
  /** What is being read, for messages: `component 6f1c…`, `components tagged canary`. */
  readonly subject: string;
  openCache(): Promise<RegistryCache>;
  lookup(cache: RegistryCache): Promise<Cached<T> | undefined>;
  fetch(): Promise<T>;
  store(cache: RegistryCache, value: T): Promise<void>;
  warn(line: string): void;
}

export interface ReadResult<T> {
  readonly value: T;
  /** Set when the answer came from the cache: when the registry gave it. */
  readonly storedAt?: number;
}

/** "4 minutes ago": how long ago a timestamp was, in the largest whole unit. */
export function describeAge(storedAt: number, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - storedAt) / 1000));
  const units: Array<[number, string]> = [
    [86_400, 'day'],
    [3_600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  for (const [size, unit] of units) {
    if (seconds >= size) {
      const count = Math.floor(seconds / size);
      return `${count} ${unit}${count === 1 ? '' : 's'} ago`;
    }
  }
  return 'just now';
}

/**
 * One read through the write-through cache (SPEC §5): every answer the registry gives is stored; the cache
 * answers when --offline says so, when --prefer-offline finds a fresh entry, or when the registry is
 * unreachable, and then stderr says so with the entry's age.
 */
export async function readThrough<T>(read: ReadThrough<T>): Promise<ReadResult<T>> {
  let cache: RegistryCache | undefined;
  if (read.mode !== 'online') {
    cache = await read.openCache();
    const cached = await read.lookup(cache);
    const usable = cached && (read.mode === 'offline' || Date.now() - cached.storedAt <= read.ttlMs);
    if (usable || read.mode === 'offline') await cache.countLookup(Boolean(cached));
    if (cached && usable) return { value: cached.value, storedAt: cached.storedAt };
    if (read.mode === 'offline') {
      throw new OfflineError(`--offline and the cache at ${cache.path} holds no ${read.subject}; run \`omnibase registry sync\` while the registry is reachable, or drop --offline`);
    }
  }
  let value: T;
  try {
    value = await read.fetch();
  } catch (error) {
    if (!(error instanceof RegistryUnreachableError)) throw error;
    cache ??= await read.openCache();
    const cached = await read.lookup(cache);
    await cache.countLookup(Boolean(cached));
    if (!cached) {
      throw new RegistryUnreachableError(error.url, `${error.reason}; the cache at ${cache.path} holds no ${read.subject} to fall back on`);
    }
    read.warn(
      `warning: the registry at ${error.url} is unreachable (${error.reason}); answering from the cache, ` +
        `stored ${describeAge(cached.storedAt)} (${new Date(cached.storedAt).toISOString()})`,
    );
    return { value: cached.value, storedAt: cached.storedAt };
  }
  if (read.mode === 'prefer-offline') await (cache ??= await read.openCache()).countLookup(false);
  await read.store((cache ??= await read.openCache()), value);
  return { value };
}
