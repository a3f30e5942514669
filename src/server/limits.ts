import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { NoSchemaIntrospectionCustomRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { MAX_METADATA_BYTES } from '../metadata/validate.js';
import { MAX_CHANGES_PAGE } from '../resolvers/changes.js';
import { GRAPH_LIMITS } from '../resolvers/graph.js';
import { MAX_SEARCH_PAGE, MAX_TAG_FILTERS, MAX_TEXT_LENGTH } from '../resolvers/search.js';

/**
 * Every limit a request meets, in one place. The operation limits are sized for the registry's real
 * queries: the deepest is a nested `dependencies { resolved { … } }` chain, two levels per hop, so depth
 * 32 allows 15 hops; orchestrators wanting whole trees use dependencyGraph, which is flat. The costliest
 * is a full page of 500 search results with their dependencies (about 27,000). GraphiQL's introspection query
 * is exempt from depth and cost, and within the other limits.
 */
export const LIMITS = {
  /** Nesting of selections. */
  depth: 32,
  /**
   * graphql-armor's static cost: an object field 2, a scalar 1, children weighed 1.2 times their parent
   * level, and a list asked for with `first: n` n times. Fragments spread again and again add up, so a
   * fan-out of fragments is caught before it runs.
   */
  cost: 100_000,
  /** Aliased fields per operation: aliases are how one request multiplies its work. */
  aliases: 30,
  /** Lexical tokens in the query text: bounds parsing work before any other check runs. */
  tokens: 5_000,
  /** Directives per operation. */
  directives: 30,
  /** A request body, in bytes: room for one metadata document at its limit, JSON-escaped, and the query. */
  bodyBytes: 4 * MAX_METADATA_BYTES + 64 * 1024,
  /** These are enforced where the arguments are read (src/resolvers, src/metadata); listed here to be seen together. */
  metadataBytes: MAX_METADATA_BYTES,
  searchPage: MAX_SEARCH_PAGE,
  searchTags: MAX_TAG_FILTERS,
  searchText: MAX_TEXT_LENGTH,
  changesPage: MAX_CHANGES_PAGE,
  graphDepth: GRAPH_LIMITS.maxDepth,
  graphNodes: GRAPH_LIMITS.maxNodes,
} as const;

/** OMNIBASE_INTROSPECTION=off hides the schema (and GraphiQL, which needs it) from clients; on by default. */
export function introspectionFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.OMNIBASE_INTROSPECTION?.trim().toLowerCase();
  if (value === undefined || value === '' || ['on', 'true', '1', 'yes'].includes(value)) return true;
  if (['off', 'false', '0', 'no'].includes(value)) return false;
  throw new Error(`OMNIBASE_INTROSPECTION must be on or off (got "${env.OMNIBASE_INTROSPECTION}")`);
}

/**
 * The operation limits as graphql-armor enforces them at validation. With introspection off, the schema's
 * shape must not leak another way, so "did you mean …?" suggestions go too.
 */
export function useOperationLimits(introspection: boolean): Plugin[] {
  const plugins: Plugin[] = [
    EnvelopArmorPlugin({
      maxDepth: { n: LIMITS.depth, ignoreIntrospection: true, flattenFragments: true },
      costLimit: { maxCost: LIMITS.cost, objectCost: 2, scalarCost: 1, depthCostFactor: 1.2, ignoreIntrospection: true },
      maxAliases: { n: LIMITS.aliases },
      maxTokens: { n: LIMITS.tokens },
      maxDirectives: { n: LIMITS.directives },
      blockFieldSuggestion: { enabled: !introspection },
    }) as Plugin,
  ];
  if (!introspection) {
    plugins.push({
      onValidate({ addValidationRule }) {
        addValidationRule(NoSchemaIntrospectionCustomRule);
      },
    });
  }
  return plugins;
}

/**
 * Refuses a body over the limit before it is read: by its Content-Length, and a POST that declares no
 * length (a chunked upload) is refused too, since its size could only be learnt by reading it.
 */
export function useBodyLimit(graphqlPath: string, maxBytes: number = LIMITS.bodyBytes): Plugin {
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== graphqlPath || request.method !== 'POST') return;
      const declared = request.headers.get('content-length');
      const refuse = (status: number, message: string) =>
        endResponse(
          fetchAPI.Response.json({ errors: [{ message, extensions: { code: 'BAD_USER_INPUT' } }] }, { status }),
        );
      if (declared === null) return refuse(411, 'a POST to the registry must declare its Content-Length');
      const length = Number(declared);
      if (!Number.isSafeInteger(length) || length < 0) return refuse(400, `Content-Length "${declared}" is not a byte count`);
      if (length > maxBytes) return refuse(413, `the request body is ${length} bytes; the registry accepts at most ${maxBytes}`);
    },
  };
}
