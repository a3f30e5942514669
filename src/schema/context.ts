import type { Authorizer } from '../auth/authorizer.js';
import type { Principal } from '../auth/principal.js';
import type { ChangeStreams } from '../resolvers/changes.js';
import type { RegistryContext } from '../resolvers/context.js';

/** Built once per request: the registry context plus what the GraphQL layer needs to trace the request. */
export type GraphQLContext = RegistryContext &
  Readonly<{
    requestId: string;
    /** Who the request acts as; its capabilities decide which fields it may read or run. */
    principal: Principal;
    /** The server's authorizer, which the schema's capability checks consult. */
    authorizer: Authorizer;
    /** The server's live change streams, which `subscription { changes }` opens. */
    changeStreams: ChangeStreams;
  }>;
