import {
  getOperationAST,
  Kind,
  print,
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import type { Database } from '../db/database.js';
import type { DatabaseTarget } from '../db/target.js';
import type { Principal } from '../auth/principal.js';
import { databaseHead, postgresHead, type RegistryHead } from './registry-head.js';

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
export type CacheContext = Readonly<{ principal?: Principal; request?: Request }>;

export interface ResponseCache {
  /** The Yoga plugin; it belongs after authentication and before execution. */
  readonly plugin: Plugin<CacheContext>;
  /** Hits and misses since start, for registry_cache_hit_ratio. */
  stats(): { hits: number; misses: number; entries: number };
  close(): Promise<void>;
}

export interface ResponseCacheOptions {
  readonly head: RegistryHead;
  readonly maxEntries?: number;
  /** Told of every lookup, e.g. to feed a metric. */
  readonly onLookup?: (hit: boolean) => void;
}

/** The head that fits the database: on PostgreSQL a connection of its own, on the embedded one the database itself. */
export function registryHeadFor(target: DatabaseTarget, db: Database): RegistryHead {
  return target.engine === 'postgres' ? postgresHead(target.url) : databaseHead(db);
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

// Component fields whose answer depends on the component's own row and history alone; `dependencies` too,
// as declared, as long as nothing asks what they resolve to.
const OWN_FIELDS = new Set(['__typename', 'uuid', 'name', 'version', 'type', 'lifecycle', 'description', 'owner', 'tags',
  'metadata', 'revision', 'createdAt', 'updatedAt', 'history']);
const DECLARATION_FIELDS = new Set(['__typename', 'name', 'versionSpec', 'uuid']);

/** The field names of a selection set, fragments expanded; null when one cannot be followed. */
function fieldsOf(selectionSet: SelectionSetNode | undefined, document: DocumentNode): FieldNode[] | null {
  const fields: FieldNode[] = [];
  const pending = selectionSet ? [selectionSet] : [];
  for (let seen = 0; pending.length > 0; seen += 1) {
    if (seen > 100) return null;
    for (const selection of pending.pop()!.selections) {
      if (selection.kind === Kind.FIELD) fields.push(selection);
      else if (selection.kind === Kind.INLINE_FRAGMENT) pending.push(selection.selectionSet);
      else {
        const fragment = document.definitions.find(
          (definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION && definition.name.value === selection.name.value,
        );
        if (!fragment) return null;
        pending.push(fragment.selectionSet);
      }
    }
  }
  return fields;
}

/** Whether a selection of Component reads nothing beyond the component itself. */
function readsOnlyItself(component: FieldNode, document: DocumentNode): boolean {
  const fields = fieldsOf(component.selectionSet, document);
  return (
    fields !== null &&
    fields.every((field) => {
      if (OWN_FIELDS.has(field.name.value)) return true;
      if (field.name.value !== 'dependencies') return false;
      const declared = fieldsOf(field.selectionSet, document);
      return declared !== null && declared.every((inner) => DECLARATION_FIELDS.has(inner.name.value));
    })
  );
}

function argumentValue(field: FieldNode, name: string, variables: Record<string, unknown> | undefined): unknown {
  const node = field.arguments?.find((argument) => argument.name.value === name)?.value;
  if (!node) return undefined;
  if (node.kind === Kind.VARIABLE) return variables?.[node.name.value];
  return node.kind === Kind.STRING ? node.value : undefined;
}

/**
 * What a write must touch for this answer to change: `uuid:<uuid>` and `name:<name>` of the components a
 * query of single components reads, or null for any other query, which any write may change (a range's
 * candidates, search filters, what resolves to what, the feed).
 */
export function tagsOf(document: DocumentNode, operationName: string | null | undefined, variables?: Record<string, unknown>): string[] | null {
  const operation = getOperationAST(document, operationName);
  if (!operation) return null;
  const roots = fieldsOf(operation.selectionSet, document);
  if (!roots) return null;
  const tags: string[] = [];
  for (const root of roots) {
    if (root.name.value === '__typename') continue;
    if (root.name.value !== 'component' || !readsOnlyItself(root, document)) return null;
    const uuid = argumentValue(root, 'uuid', variables);
    const name = argumentValue(root, 'name', variables);
    if (typeof uuid === 'string') tags.push(`uuid:${uuid.toLowerCase()}`);
    else if (typeof name === 'string') tags.push(`name:${name}`);
    else return null;
  }
  return tags;
}

interface Entry {
  readonly result: ExecutionResult;
  /** See tagsOf; null: evicted by any write. */
  readonly tags: readonly string[] | null;
}

/** How many recent heads' writes are remembered, to tell whether an answer computed meanwhile is still current. */
const RECENT_DELTAS = 64;

/**
 * Whole answers to queries, kept until a write touches what they read. Answers to lookups of single
 * components (see tagsOf) are evicted by writes to those components only; every other answer by any
 * write. The head (registry-head.ts) is read once per request, after the request arrived, and tells what
 * was written since it was last read before the cache is consulted, so a write acknowledged by any instance
 * is never hidden behind an older answer.
 *
 * Keyed by principal and capabilities as well as the operation and variables, so no principal is ever
 * given an answer computed for another. Only answers without errors are kept, and only for principals
 * that hold REGISTRY_READ.
 */
export function createResponseCache({ head, maxEntries = DEFAULT_CACHE_ENTRIES, onLookup }: ResponseCacheOptions): ResponseCache {
  const byTag = new Map<string, Set<string>>();
  const touchedByAny = new Set<string>();
  const unindex = (key: string, entry: Entry) => {
    if (entry.tags === null) touchedByAny.delete(key);
    else
      for (const tag of entry.tags) {
        const keys = byTag.get(tag);
        keys?.delete(key);
        if (keys?.size === 0) byTag.delete(tag);
      }
  };
  const entries = new LRUCache<string, Entry>({ max: Math.max(1, maxEntries), dispose: (entry, key) => unindex(key, entry) });
  const texts = new WeakMap<DocumentNode, string>();
  // Each head read that found writes is one generation; the tags each of the recent ones touched (null: all).
  let generation = 0;
  const recent: Array<{ generation: number; tags: ReadonlySet<string> | null }> = [];
  let hits = 0;
  let misses = 0;

  head.subscribe(({ reset, written }) => {
    if (!reset && written.length === 0) return;
    generation += 1;
    const tags = reset ? null : new Set(written.flatMap(({ uuid, name }) => [`uuid:${uuid}`, `name:${name}`]));
    recent.push({ generation, tags });
    if (recent.length > RECENT_DELTAS) recent.shift();
    if (!tags) {
      entries.clear();
      return;
    }
    for (const key of [...touchedByAny]) entries.delete(key);
    for (const tag of tags) for (const key of [...(byTag.get(tag) ?? [])]) entries.delete(key);
  });

  /** Whether writes read since `since` may have changed an answer with these tags. */
  const touchedSince = (since: number, tags: readonly string[] | null) => {
    if (since === generation) return false;
    if (recent.length === 0 || recent[0]!.generation > since + 1) return true;
    return recent.some((delta) => delta.generation > since && (delta.tags === null || tags === null || tags.some((tag) => delta.tags!.has(tag))));
  };

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
      try {
        await head.current(args.contextValue.request);
      } catch {
        // Without a head nothing can be vouched for: the request runs as if there were no cache.
        return undefined;
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
        setResultAndStopExecution(cached.result);
        return undefined;
      }
      misses += 1;
      const looked = generation;
      return {
        onExecuteDone({ result }) {
          if (Symbol.asyncIterator in result) return;
          const single = result as ExecutionResult;
          if (single.errors?.length || single.data == null) return;
          const tags = tagsOf(args.document, args.operationName, args.variableValues as Record<string, unknown> | undefined);
          // A write read meanwhile may have changed what this answer read: it would belong to the past.
          if (touchedSince(looked, tags)) return;
          if (boundedSize(single.data, MAX_ENTRY_SIZE) === Infinity) return;
          entries.set(key, { result: single, tags });
          if (tags === null) touchedByAny.add(key);
          else
            for (const tag of tags) {
              const keys = byTag.get(tag);
              if (keys) keys.add(key);
              else byTag.set(tag, new Set([key]));
            }
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
