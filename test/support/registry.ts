import { randomUUID } from 'node:crypto';
import { tokenAuthorizer, type Authorizer } from '../../src/auth/authorizer.js';
import { CAPABILITIES } from '../../src/auth/principal.js';
import { createLogger } from '../../src/logger.js';
import { createRegistryYoga, type RegistryYoga } from '../../src/server/yoga.js';
import { migratedDatabase, type MigratedDatabase } from './database.js';

export interface GraphQLResponse<T = Record<string, any>> {
  data?: T | null;
  errors?: Array<{ message: string; path?: string[]; extensions: Record<string, any> }>;
}

export interface RegistryHarness extends MigratedDatabase {
  readonly yoga: RegistryYoga;
  /** Every SQL statement sent since the last `queries.length = 0`. */
  readonly queries: string[];
  graphql<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<T>>;
}

/**
 * The real schema and server stack over a fresh, migrated database, driven in-process through fetch.
 * Requests without a token may read and write, as on a loopback server configured that way, unless the
 * test brings its own authorizer.
 */
export async function registryHarness(options: { authorizer?: (db: MigratedDatabase['db']) => Authorizer } = {}): Promise<RegistryHarness> {
  const queries: string[] = [];
  const database = await migratedDatabase({ onQuery: (sql) => queries.push(sql) });
  const authorizer = options.authorizer?.(database.db) ?? tokenAuthorizer({ db: database.db, anonymous: new Set(CAPABILITIES) });
  const yoga = createRegistryYoga({ db: database.db, logger: createLogger('silent'), authorizer });
  return {
    ...database,
    yoga,
    queries,
    async graphql(query, variables, headers = {}) {
      const response = await yoga.fetch('http://registry.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return response.json();
    },
  };
}

export interface MetadataFields {
  uuid?: string;
  name?: string;
  version?: string;
  type?: 'validator' | 'tool' | 'test';
  lifecycle?: 'experimental' | 'active' | 'deprecated' | 'retired';
  description?: string;
  owner?: string;
  tags?: string[];
  dependencies?: unknown[];
  annotations?: Record<string, unknown>;
}

/** A valid v0.3 document with a fresh uuid; fields given override the defaults. */
export function metadata(fields: MetadataFields = {}): Record<string, unknown> {
  return {
    schema_version: '0.3',
    uuid: randomUUID(),
    name: 'yaml-lint',
    version: '1.0.0',
    type: 'validator',
    ...fields,
  };
}

export const REGISTER = /* GraphQL */ `
  mutation Register($metadata: JSON!) {
    register(metadata: $metadata) { registered uuid component { uuid name version revision lifecycle tags } }
  }
`;

export const UPDATE = /* GraphQL */ `
  mutation Update($uuid: UUID!, $patch: JSON!, $expectedRevision: Int) {
    update(uuid: $uuid, patch: $patch, expectedRevision: $expectedRevision) {
      changed uuid revision component { metadata lifecycle tags description }
    }
  }
`;

/** Registers documents one after another, failing the test on any error. */
export async function registerAll(harness: RegistryHarness, documents: Record<string, unknown>[]): Promise<void> {
  for (const document of documents) {
    const result = await harness.graphql(REGISTER, { metadata: document });
    if (result.errors) throw new Error(`register failed: ${JSON.stringify(result.errors)}`);
  }
}

/** Row counts of the registry's tables: proof that a refused write left nothing behind. */
export async function tableCounts(harness: RegistryHarness): Promise<Record<string, number>> {
  const [row] = await harness.db.withSession((session) =>
    session.query<Record<string, number>>(
      `SELECT (SELECT count(*)::int FROM components) AS components,
              (SELECT count(*)::int FROM component_revisions) AS revisions,
              (SELECT count(*)::int FROM changes) AS changes`,
    ),
  );
  return row!;
}
