import { randomUUID } from 'node:crypto';
import { getOperationAST, GraphQLError } from 'graphql';
import { useGraphQlJit } from '@envelop/graphql-jit';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { anonymousCapabilities, tokenAuthorizer, type Authorizer } from '../auth/authorizer.js';
import { createResponseCache, type ResponseCacheOptions } from '../cache/response-cache.js';
import { databaseHead, type RegistryHead } from '../cache/registry-head.js';
import type { Principal } from '../auth/principal.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { ChangeStreams } from '../resolvers/changes.js';
import { schema } from '../schema/index.js';
import { useHealthAndMetrics } from '../observability/health.js';
import { createRegistryMetrics, type RegistryMetrics } from '../observability/metrics.js';
import { recordOutcome, useRequestTelemetry } from '../observability/telemetry.js';
import type { GraphQLContext } from '../schema/context.js';
import { useAuthentication, principalOf } from './authentication.js';
import { createChangeStreams } from './change-stream.js';
import { useChunkedResults } from './chunked-results.js';
import { graphiqlOptions, useGraphiQLAssets } from './graphiql.js';
import { introspectionFromEnv, useBodyLimit, useOperationLimits } from './limits.js';
import { toClientError } from './errors.js';

export interface RegistryYogaOptions {
  readonly db: Database;
  readonly logger: Logger;
  /**
   * Decides who a request is and what it may do; by default the registry's tokens, with what loopback
   * grants requests without one (OMNIBASE_ANONYMOUS_CAPABILITIES, else REGISTRY_READ).
   */
  readonly authorizer?: Authorizer;
  /** Whether clients may introspect the schema (and use GraphiQL); OMNIBASE_INTROSPECTION by default. */
  readonly introspection?: boolean;
  /** Metrics to record into; made afresh when not given. */
  readonly metrics?: RegistryMetrics;
  /**
   * Where the registry stands (src/cache/registry-head.ts), read once per request by the response cache and
   * by an authorizer given the same head; by default read through `db`, right for one instance.
   */
  readonly head?: RegistryHead;
  /** Keeps answers to queries until a write touches what they read (src/cache); `false` executes every query. */
  readonly responseCache?: Pick<ResponseCacheOptions, 'maxEntries'> | false;
  /** The live change streams (src/server/change-stream.ts); made afresh, with the default limit, when not given. */
  readonly changeStreams?: ChangeStreams;
}

export type RegistryYoga = YogaServerInstance<Record<string, unknown>, GraphQLContext>;

const GRAPHQL_PATH = '/graphql';

/** How history records who made a change: the token's name and id; anonymous writes record none. */
function actorOf(principal: Principal): string | null {
  return principal.anonymous ? null : `${principal.name} (${principal.id})`;
}

const requestIds = new WeakMap<Request, string>();
const REQUEST_ID_PATTERN = /^[\w.:-]{1,128}$/;

/** Accepts a caller's x-request-id when it is a sane token, else makes one; echoed on the response. */
function useRequestId(): Plugin {
  return {
    onRequest({ request }) {
      const given = request.headers.get('x-request-id');
      requestIds.set(request, given && REQUEST_ID_PATTERN.test(given) ? given : randomUUID());
    },
    onResponse({ request, response }) {
      const id = requestIds.get(request);
      if (id) response.headers.set('x-request-id', id);
    },
  };
}

/** Maps every error of an operation to the code and message a client reads (src/server/errors.ts). */
function useRegistryErrors(logger: Logger): Plugin<GraphQLContext> {
  const mapErrors = (errors: readonly Error[], requestId: string) =>
    errors.map((error) => {
      const graphQLError = error instanceof GraphQLError ? error : new GraphQLError(error.message, { originalError: error });
      return toClientError(graphQLError, requestId, logger);
    });
  const mapAndRecord = (errors: readonly Error[], context: GraphQLContext) => {
    const mapped = mapErrors(errors, context.requestId);
    recordOutcome((context as { request?: Request }).request, mapped.map((error) => error.extensions.code));
    return mapped;
  };
  return {
    onValidate({ context }) {
      return ({ result, setResult }) => {
        if (result.length) setResult(mapAndRecord(result, context));
      };
    },
    onExecute() {
      return {
        onExecuteDone({ args, result, setResult }) {
          if (!('errors' in result) || !result.errors?.length) return;
          setResult({ ...result, errors: mapAndRecord(result.errors, args.contextValue) });
        },
      };
    },
    // A subscription's errors: a stream refused as it opens, or an event that failed to resolve.
    onSubscribe() {
      return {
        onSubscribeResult({ args, result, setResult }) {
          if ('errors' in result && result.errors?.length) {
            setResult({ ...result, errors: mapAndRecord(result.errors, args.contextValue) });
            return undefined;
          }
          return {
            onNext({ result: event, setResult: setEvent }) {
              if (event.errors?.length) setEvent({ ...event, errors: mapErrors(event.errors, args.contextValue.requestId) });
            },
          };
        },
      };
    },
  };
}

/** The GraphQL server as a fetch handler; the plugin stack reads top-down as the request flows. */
export function createRegistryYoga({
  db,
  logger,
  head = databaseHead(db),
  authorizer = tokenAuthorizer({ db, anonymous: anonymousCapabilities('127.0.0.1'), head }),
  metrics = createRegistryMetrics(db),
  introspection = introspectionFromEnv(),
  responseCache = {},
  changeStreams = createChangeStreams({ db }),
}: RegistryYogaOptions): RegistryYoga {
  const requestIdOf = (request: Request) => requestIds.get(request) ?? 'unknown';
  metrics.countStreams(() => changeStreams.openCount());
  return createYoga<Record<string, unknown>, GraphQLContext>({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    // GraphiQL from the registry's own assets (src/server/graphiql.ts), off with introspection.
    ...graphiqlOptions(introspection),
    landingPage: false,
    logging: logger.child({ component: 'yoga' }),
    // useRegistryErrors is the one place errors are mapped and masked; Yoga's own masking would wrap
    // registry errors before that plugin could read their codes.
    maskedErrors: false,
    plugins: [
      useRequestId(),
      useGraphiQLAssets(introspection),
      useHealthAndMetrics(db, metrics),
      useRequestTelemetry(logger, metrics, requestIdOf),
      useBodyLimit(GRAPHQL_PATH),
      useAuthentication(authorizer, GRAPHQL_PATH, logger, requestIdOf),
      metrics.graphqlPlugin,
      ...useOperationLimits(introspection),
      useRegistryErrors(logger),
      // Large answers (whole graphs) go out in chunks as they are serialised, never as one string.
      useChunkedResults(),
      // After authentication (the key and the REGISTRY_READ check need the principal), before execution.
      ...(responseCache ? [createResponseCache({ ...responseCache, head, onLookup: (hit) => metrics.recordCacheLookup(hit) }).plugin] : []),
      // Queries compile to JavaScript once and run from the cache after: large answers execute severalfold
      // faster. Mutations stay with graphql-js: their JSON arguments may hold variables inside literals
      // (patch: { owner: $o }), which graphql-jit would silently drop.
      useGraphQlJit({}, { enableIf: (args) => getOperationAST(args.document, args.operationName)?.operation === 'query' }),
    ],
    context: ({ request }): GraphQLContext => {
      const principal = principalOf(request);
      return {
        db,
        actor: actorOf(principal),
        recordWrite: metrics.recordWrite,
        requestId: requestIds.get(request) ?? randomUUID(),
        principal,
        authorizer,
        changeStreams,
      };
    },
  });
}
