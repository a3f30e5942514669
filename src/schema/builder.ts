import SchemaBuilder from '@pothos/core';
import DataloaderPlugin from '@pothos/plugin-dataloader';
import DirectivePlugin from '@pothos/plugin-directives';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin, { AuthScopeFailureType, type AuthFailure } from '@pothos/plugin-scope-auth';
import { CapabilityError } from '../auth/errors.js';
import { isCapability, type Capability } from '../auth/principal.js';
import type { GraphQLContext } from './context.js';
import type PrismaTypes from '../generated/pothos-types.js';
import { getDatamodel } from '../generated/pothos-types.js';

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  PrismaTypes: PrismaTypes;
  DefaultFieldNullability: false;
  AuthScopes: { capability: Capability };
  Directives: {
    requiresCapability: { locations: 'FIELD_DEFINITION' | 'OBJECT'; args: { capability: Capability } };
  };
  Scalars: {
    UUID: { Input: string; Output: string };
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: unknown; Output: unknown };
  };
}>({
  // Scope-auth comes first so that it wraps every other plugin's resolvers.
  plugins: [ScopeAuthPlugin, DirectivePlugin, PrismaPlugin, RelayPlugin, DataloaderPlugin],
  defaultFieldNullability: false,
  // Stored by name, the form @graphql-tools/utils reads when printing the SDL with its directives.
  directives: { useGraphQLToolsUnorderedDirectives: true },
  scopeAuth: {
    // A subscription is checked once, when its stream opens, not on every event it sends.
    authorizeOnSubscribe: true,
    // The request's authorizer decides; the principal was authenticated before execution began.
    authScopes: (ctx) => ({ capability: (capability: Capability) => ctx.authorizer.allows(ctx.principal, capability) }),
    unauthorizedError: (_parent, ctx, _info, result) => {
      const capability = capabilityOf(result.failure);
      // A failure that names no capability is a bug in a field's declaration: it surfaces as unexpected.
      return capability ? new CapabilityError(ctx.principal, capability) : new Error(result.message);
    },
  },
  prisma: {
    client: (ctx) => ctx.db.prisma,
    dmmf: getDatamodel(),
    filterConnectionTotalCount: true,
    onUnusedQuery: null,
  },
  relay: {
    // Components are addressed by uuid; the registry has no global object ids.
    nodeQueryOptions: false,
    nodesQueryOptions: false,
    cursorType: 'String',
  },
});

/** The capability a failed check asked for; fields declare exactly one (src/schema/capabilities.ts). */
function capabilityOf(failure: AuthFailure): Capability | undefined {
  if (failure.kind === AuthScopeFailureType.AuthScope) {
    return typeof failure.parameter === 'string' && isCapability(failure.parameter) ? failure.parameter : undefined;
  }
  if (failure.kind === AuthScopeFailureType.AnyAuthScopes || failure.kind === AuthScopeFailureType.AllAuthScopes) {
    return failure.failures.map(capabilityOf).find((capability) => capability !== undefined);
  }
  return undefined;
}

builder.queryType({});
builder.mutationType({});
