import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, type GraphQLField } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenAuthorizer } from '../../src/auth/authorizer.js';
import { CAPABILITIES, type Capability } from '../../src/auth/principal.js';
import { createToken } from '../../src/auth/tokens.js';
import { createLogger } from '../../src/logger.js';
import { packageRoot } from '../../src/paths.js';
import { schema } from '../../src/schema/index.js';
import { createRegistryYoga, type RegistryYoga } from '../../src/server/yoga.js';
import { metadata, REGISTER, registryHarness, type RegistryHarness } from '../support/registry.js';

/**
 * One operation per root field, each the smallest that runs it. The first test fails when a field is
 * added without an entry here, so every field is tested with and without each capability.
 */
const OPERATIONS: Record<string, { capability: Capability; query: string; variables?: (uuid: string) => Record<string, unknown> }> = {
  'Query.component': { capability: 'REGISTRY_READ', query: 'query($u: UUID) { component(uuid: $u) { uuid } }', variables: (u) => ({ u }) },
  'Query.search': { capability: 'REGISTRY_READ', query: '{ search { totalCount } }' },
  'Query.changes': { capability: 'REGISTRY_READ', query: '{ changes(first: 1) { edges { cursor } } }' },
  'Query.dependencyGraph': { capability: 'REGISTRY_READ', query: 'query($u: UUID!) { dependencyGraph(root: $u) { isDag } }', variables: (u) => ({ u }) },
  'Mutation.register': { capability: 'REGISTRY_WRITE', query: REGISTER, variables: () => ({ metadata: metadata({ name: `n-${Math.random().toString(36).slice(2)}` }) }) },
  'Mutation.registerMany': {
    capability: 'REGISTRY_WRITE',
    query: 'mutation($m: [JSON!]!) { registerMany(metadata: $m) { registered } }',
    variables: () => ({ m: [metadata({ name: `n-${Math.random().toString(36).slice(2)}` })] }),
  },
  'Mutation.update': {
    capability: 'REGISTRY_WRITE',
    query: 'mutation($u: UUID!) { update(uuid: $u, patch: { description: "patched" }) { revision } }',
    variables: (u) => ({ u }),
  },
};

function rootFields(): Array<[string, GraphQLField<unknown, unknown>]> {
  return [schema.getQueryType()!, schema.getMutationType()!].flatMap((type) =>
    Object.values(type.getFields()).map((field) => [`${type.name}.${field.name}`, field] as [string, GraphQLField<unknown, unknown>]),
  );
}

describe('every root field declares the capability it needs', () => {
  it('once, as the @requiresCapability directive, and this suite has an operation for it', () => {
    const declared = Object.fromEntries(
      rootFields().map(([name, field]) => {
        type Args = { capability: string };
        const directive = (field.extensions as { directives?: { requiresCapability?: Args | Args[] } }).directives?.requiresCapability;
        return [name, directive && [directive].flat().map((args) => args.capability)];
      }),
    );
    for (const [name, capabilities] of Object.entries(declared)) {
      expect(capabilities, `${name} declares no capability`).toHaveLength(1);
    }
    expect(declared).toEqual(Object.fromEntries(Object.entries(OPERATIONS).map(([name, { capability }]) => [name, [capability]])));
  });

  it('is printed in schema.graphql, which is valid SDL on its own', () => {
    const sdl = readFileSync(join(packageRoot(), 'schema.graphql'), 'utf8');
    const standalone = buildSchema(sdl);
    expect(standalone.getDirective('requiresCapability')?.args.map((arg) => `${arg.name}: ${String(arg.type)}`)).toEqual(['capability: Capability!']);
    for (const [name, { capability }] of Object.entries(OPERATIONS)) {
      const [typeName, fieldName] = name.split('.') as [string, string];
      const field = standalone.getType(typeName) as { getFields(): Record<string, GraphQLField<unknown, unknown>> };
      const directives = field.getFields()[fieldName]!.astNode!.directives!.map((d) => `@${d.name.value}(${d.arguments!.map((a) => `${a.name.value}: ${(a.value as { value: string }).value}`).join()})`);
      expect(directives, name).toEqual([`@requiresCapability(capability: ${capability})`]);
    }
  });
});

describe('capability checks', () => {
  let registry: RegistryHarness;
  let target: string;
  const yogas = new Map<string, RegistryYoga>();
  const tokens = new Map<string, string>();

  beforeAll(async () => {
    registry = await registryHarness();
    const document = metadata();
    await registry.graphql(REGISTER, { metadata: document });
    target = document.uuid as string;
    const logger = createLogger('silent');
    // Requests without a token: one server that grants them nothing, one that grants reading.
    yogas.set('none', createRegistryYoga({ db: registry.db, logger, authorizer: tokenAuthorizer({ db: registry.db, anonymous: new Set() }) }));
    yogas.set('read', createRegistryYoga({ db: registry.db, logger, authorizer: tokenAuthorizer({ db: registry.db, anonymous: new Set(['REGISTRY_READ']) }) }));
    for (const capabilities of [['REGISTRY_READ'], ['REGISTRY_WRITE'], [...CAPABILITIES]] as const) {
      const { token } = await createToken(registry.db, { name: capabilities.join('+'), capabilities });
      tokens.set(capabilities.join('+'), token);
    }
  });
  afterAll(() => registry.close());

  async function run(field: string, yoga: RegistryYoga, token?: string) {
    const { query, variables } = OPERATIONS[field]!;
    const response = await yoga.fetch('http://registry.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables: variables?.(target) }),
    });
    return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: Array<{ message: string; extensions: Record<string, unknown> }> } };
  }

  const cases = Object.keys(OPERATIONS).flatMap((field) => [
    { field, who: 'a token with REGISTRY_READ', token: 'REGISTRY_READ', anonymous: 'none' },
    { field, who: 'a token with REGISTRY_WRITE', token: 'REGISTRY_WRITE', anonymous: 'none' },
    { field, who: 'a token with both', token: 'REGISTRY_READ+REGISTRY_WRITE', anonymous: 'none' },
    { field, who: 'no token, nothing granted', token: undefined, anonymous: 'none' },
    { field, who: 'no token, reading granted', token: undefined, anonymous: 'read' },
  ]);

  it.each(cases)('$field as $who', async ({ field, token, anonymous }) => {
    const required = OPERATIONS[field]!.capability;
    const held: readonly string[] = token ? token.split('+') : anonymous === 'read' ? ['REGISTRY_READ'] : [];
    const { status, body } = await run(field, yogas.get(anonymous)!, token && tokens.get(token));
    expect(status).toBe(200);
    if (held.includes(required)) {
      expect(body.errors).toBeUndefined();
      expect(Object.values(body.data as object)[0]).not.toBeNull();
    } else {
      expect(body.errors).toHaveLength(1);
      expect(body.errors![0]!.extensions).toEqual({ code: token ? 'FORBIDDEN' : 'UNAUTHENTICATED', requiredCapability: required });
      expect(body.errors![0]!.message).toContain(required);
    }
  });
});
