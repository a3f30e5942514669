import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Authorizer } from '../auth/authorizer.js';
import type { Principal } from '../auth/principal.js';
import type { Logger } from '../logger.js';
import { recordRejection } from '../observability/telemetry.js';
import { toClientError } from './errors.js';

const principals = new WeakMap<Request, Principal>();

/** The principal the authentication plugin found for this request. */
export function principalOf(request: Request): Principal {
  const principal = principals.get(request);
  // The plugin runs for every GraphQL request before its context is built; missing means a wiring bug.
  if (!principal) throw new Error('request reached execution without authentication');
  return principal;
}

const STATUS_BY_CODE: Record<string, number> = { UNAUTHENTICATED: 401, SERVICE_UNAVAILABLE: 503 };

/**
 * Authenticates each GraphQL request before anything else reads it, so a bad token costs no parsing. A
 * credential that is not valid ends the request with 401 and a GraphQL error body; a request without one
 * goes on as the anonymous principal, and the schema's capability checks decide what it may do.
 */
export function useAuthentication(authorizer: Authorizer, graphqlPath: string, logger: Logger, requestIdOf: (request: Request) => string): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== graphqlPath) return;
      try {
        principals.set(request, await authorizer.authenticate(request));
      } catch (cause) {
        const error = toClientError(new GraphQLError((cause as Error).message, { originalError: cause as Error }), requestIdOf(request), logger);
        const code = String(error.extensions.code);
        recordRejection(request, code);
        const accept = request.headers.get('accept') ?? '';
        const headers: Record<string, string> = {
          'content-type': accept.includes('application/graphql-response+json') ? 'application/graphql-response+json; charset=utf-8' : 'application/json; charset=utf-8',
        };
        if (code === 'UNAUTHENTICATED') headers['www-authenticate'] = 'Bearer realm="omnibase", error="invalid_token"';
        endResponse(new fetchAPI.Response(JSON.stringify({ errors: [error.toJSON()] }), { status: STATUS_BY_CODE[code] ?? 500, headers }));
      }
    },
  };
}
