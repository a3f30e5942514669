import semver from 'semver';
import { resolveRange } from '../../src/resolvers/ranges.js';
import type { ComponentType, Lifecycle } from '../generated/graphql.js';
import type { Cached, CachedComponentValue } from './store.js';

/**
 * The component a name and npm range choose among the cached versions, with the registry's own rule
 * (src/resolvers/ranges.ts): the highest satisfying, never a retired one. Throws InvalidVersionSpecError.
 */
export function resolveCached(
  entries: ReadonlyArray<Cached<CachedComponentValue>>,
  name: string,
  versionSpec: string,
): Cached<CachedComponentValue> | undefined {
  const candidates = entries.filter((entry) => entry.value.name === name).map((entry) => ({ ...entry, version: entry.value.version, lifecycle: entry.value.lifecycle }));
  const chosen = resolveRange(candidates, versionSpec);
  return chosen ? { value: chosen.value, storedAt: chosen.storedAt } : undefined;
}

export interface SearchFilters {
  readonly tags?: readonly string[] | undefined;
  readonly type?: ComponentType | undefined;
  readonly lifecycle?: Lifecycle | undefined;
  readonly text?: string | undefined;
  readonly latestOnly?: boolean | undefined;
}

/** Lower-cased words of a text query, without the web-search operators the server understands. */
function words(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^a-z0-9._-]+/)
    .filter((word) => word !== '' && word !== 'or');
}

/**
 * `search` answered from cached components: the same filters and order as the server (name, then newest
 * version first). Full-text search becomes "every word appears in the name, description or tags", an
 * approximation of PostgreSQL's stemmed search that is good enough while the registry is away.
 */
export function searchCached(
  entries: ReadonlyArray<Cached<CachedComponentValue>>,
  filters: SearchFilters,
): Array<Cached<CachedComponentValue>> {
  const wanted = filters.text ? words(filters.text) : [];
  const matching = entries.filter(({ value }) => {
    if (filters.tags?.some((tag) => !value.tags.includes(tag))) return false;
    if (filters.type && value.type !== filters.type) return false;
    if (filters.lifecycle && value.lifecycle !== filters.lifecycle) return false;
    if (wanted.length) {
      const haystack = [value.name, value.description ?? '', ...value.tags].join(' ').toLowerCase();
      if (!wanted.every((word) => haystack.includes(word))) return false;
    }
    return true;
  });
  matching.sort((a, b) => (a.value.name === b.value.name ? semver.rcompare(a.value.version, b.value.version) : a.value.name < b.value.name ? -1 : 1));
  if (!filters.latestOnly) return matching;
  return matching.filter((entry, index) => index === 0 || matching[index - 1]!.value.name !== entry.value.name);
}
