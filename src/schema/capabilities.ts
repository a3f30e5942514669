import { DirectiveLocation, GraphQLDirective, GraphQLEnumType, GraphQLNonNull } from 'graphql';
import { CAPABILITIES, type Capability } from '../auth/principal.js';

/**
 * Capability is built here with graphql-js rather than by the builder, because the directive definition
 * must hold the very enum instance the schema carries; nothing else in the schema refers to it.
 */
export const CapabilityEnum = new GraphQLEnumType({
  name: 'Capability',
  description: 'What a token allows: reading the registry, or registering and updating components.',
  values: Object.fromEntries(CAPABILITIES.map((capability) => [capability, { value: capability }])),
});

export const requiresCapabilityDirective = new GraphQLDirective({
  name: 'requiresCapability',
  description: 'The capability a request must hold to read or run this field.',
  locations: [DirectiveLocation.FIELD_DEFINITION, DirectiveLocation.OBJECT],
  args: { capability: { type: new GraphQLNonNull(CapabilityEnum) } },
});

/**
 * The one declaration of what a field needs: the same value becomes the scope-auth rule that enforces it
 * and the @requiresCapability directive that documents it in the SDL, so the two cannot drift apart.
 */
export function requires<C extends Capability>(capability: C) {
  return {
    authScopes: { capability },
    directives: { requiresCapability: { capability } },
  } as const;
}
