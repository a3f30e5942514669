import { getOperationAST, print, type DocumentNode, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import type { Database } from '../db/database.js';
import type { DatabaseTarget } from '../db/target.js';
import type { Principal } from '../auth/principal.js';
import { databaseWriteHead, postgresWriteHead, type WriteHead } from './write-head.js';

/** Answers larger than this (roughly, in characters of JSON) are not kept: a whole large graph would crowd out thousands of lookups. */
const MAX_ENTRY_SIZE = 256 * 1024;
export const DEFAULT_CACHE_ENTRIES = 10_000;

export class ResponseCacheConfigError extends Error {
  override readonly name = 'ResponseCacheConfigError';
}

/** OMNIBASE_RESPONSE_CACHE_ENTRIES: how many answers to keep; 0 turns the cache off. */
export function cacheEntriesFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const setting = env.OMNIBASE_RESPONSE_CACHE_ENTRIES?.trim();
  if (!setting) return DEFAULT_CACHE_ENTRIES;
  if (!/^\d{1,9}$/.test(setting)) {
    throw new ResponseCacheConfigError(
      `OMNIBASE_RESPONSE_CACHE_ENTRIES must be a whole number of entries, 0 to turn the cache off (got "${setting}")`,
    );
  }
  return Number(setting);
}

/** All the cache needs of a request's context: who asks, since answers are kept per principal. */
export type CacheContext = Readonly<{ principal?: Principal }>;

export interface ResponseCache {
  /** The Yoga plugin; it belongs after authentication and before execution. */
  readonly plugin: Plugin<CacheContext>;
  /** Hits and misses since start, for registry_cache_hit_ratio. */
  stats(): { hits: number; misses: number; entries: number };
  close(): Promise<void>;
}

export interface ResponseCacheOptions {
  readonly head: WriteHead;
  readonly maxEntries?: number;
  /** Told of every lookup, e.g. to feed a metric. */
  readonly onLookup?: (hit: boolean) => void;
}

/** The head that fits the database: on PostgreSQL a connection of its own, on the embedded one the database itself. */
export function writeHeadFor(target: DatabaseTarget, db: Database): WriteHead {
  return target.engine === 'postgres' ? postgresWriteHead(target.url) : databaseWriteHead(db);
}

/**
 * A rough size of a JSON value, giving up (Infinity) as soon as it passes `limit`, so a huge answer costs
 * no more to reject than a small one costs to measure.
 */
export function boundedSize(value: unknown, limit: number): number {
  let size = 0;
  const stack: unknown[] = [value];
  while (stack.length) {
    const item = stack.pop();
    if (typeof item === 'string') size += item.length + 2;
    else if (item === null || typeof item !== 'object') size += 8;
    else if (Array.isArray(item)) {
      size += 2 + item.length;
      for (const element of item) stack.push(element);
    } else {
      for (const [key, element] of Object.entries(item)) {
        size += key.length + 4;
        stack.push(element);
      }
    }
    if (size > limit) return Infinity;
  }
  return size;
}

/**
 * Whole answers to queries, kept while no write has committed anywhere. Coarse on purpose: a registry read
 * depends on more rows than it returns (a range's candidates, search filters, what resolves to what), and
 * any write may change any of them, so every write invalidates everything. The head (write-head.ts) is
 * asked once per request, after the request arrived, so a write acknowledged by any instance is never
 * hidden behind an older answer.
 *
 * Keyed by principal and capabilities as well as the operation and variables, so no principal is ever
 * given an answer computed for another. Only answers without errors are kept, and only for principals
 * that hold REGISTRY_READ.
 */
export function createResponseCache({ head, maxEntries = DEFAULT_CACHE_ENTRIES, onLookup }: ResponseCacheOptions): ResponseCache {
  const entries = new LRUCache<string, ExecutionResult>({ max: Math.max(1, maxEntries) });
  const texts = new WeakMap<DocumentNode, string>();
  // The head the entries were computed at; a different head empties the cache before anything is read.
  let entriesHead: string | undefined;
  let hits = 0;
  let misses = 0;

  const textOf = (document: DocumentNode) => {
    let text = texts.get(document);
    if (text === undefined) {
      text = print(document);
      texts.set(document, text);
    }
    return text;
  };

  const plugin: Plugin<CacheContext> = {
    async onExecute({ args, setResultAndStopExecution }) {
      const operation = getOperationAST(args.document, args.operationName)?.operation;
      const principal = args.contextValue.principal;
      if (operation !== 'query' || maxEntries === 0 || !principal?.capabilities.has('REGISTRY_READ')) return undefined;
      let current: string;
      try {
        current = await head.current();
      } catch {
        // Without a head nothing can be vouched for: the request runs as if there were no cache.
        return undefined;
      }
      if (current !== entriesHead) {
        entries.clear();
        entriesHead = current;
      }
      const key = JSON.stringify([
        principal.id,
        [...principal.capabilities].sort(),
        args.operationName ?? null,
        textOf(args.document),
        args.variableValues ?? null,
      ]);
      const cached = entries.get(key);
      onLookup?.(cached !== undefined);
      if (cached) {
        hits += 1;
        setResultAndStopExecution(cached);
        return undefined;
      }
      misses += 1;
      return {
        onExecuteDone({ result }) {
          // Another request may have seen a newer head meanwhile: this answer then belongs to the past.
          if (entriesHead !== current || Symbol.asyncIterator in result) return;
          const single = result as ExecutionResult;
          if (single.errors?.length || single.data == null) return;
          if (boundedSize(single.data, MAX_ENTRY_SIZE) === Infinity) return;
          entries.set(key, single);
        },
      };
    },
  };

  return {
    plugin,
    stats: () => ({ hits, misses, entries: entries.size }),
    close: () => head.close(),
  };
}
