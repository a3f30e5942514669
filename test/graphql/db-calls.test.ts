import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metadata, registerAll, registryHarness, UPDATE, type RegistryHarness } from '../support/registry.js';

// Every SQL statement an operation sends, snapshotted: a query per item (N+1) shows up as a longer list.
let registry: RegistryHarness;
let uuids: string[];

beforeAll(async () => {
  registry = await registryHarness();
  const documents = Array.from({ length: 6 }, (_, index) => metadata({ name: `c-${index % 3}`, version: `1.${index}.0`, tags: ['canary'] }));
  await registerAll(registry, documents);
  uuids = documents.map((document) => document.uuid as string);
  await registry.graphql(UPDATE, { uuid: uuids[0], patch: { owner: 'someone' } });
});
afterAll(() => registry.close());

/** The statements sent while running one operation, with whitespace folded so the snapshot reads well. */
async function statementsOf(query: string, variables?: Record<string, unknown>): Promise<string[]> {
  registry.queries.length = 0;
  const result = await registry.graphql(query, variables);
  expect(result.errors).toBeUndefined();
  return registry.queries.map((sql) => sql.replace(/\s+/g, ' ').trim());
}

describe('database calls per operation', () => {
  it('component(uuid) with history: two statements', async () => {
    const statements = await statementsOf('query($u: UUID!) { component(uuid: $u) { name history { revision } } }', {
      u: uuids[0],
    });
    expect(statements).toHaveLength(2);
    expect(statements).toMatchSnapshot();
  });

  it('component(name, range): candidates, then the chosen row', async () => {
    const statements = await statementsOf('{ component(name: "c-1", versionSpec: "^1") { version } }');
    expect(statements).toHaveLength(2);
    expect(statements).toMatchSnapshot();
  });

  it('search with history on every result: one statement for the page, one for all histories, one count', async () => {
    const statements = await statementsOf('{ search(tags: ["canary"]) { totalCount edges { node { name history { revision } } } } }');
    expect(statements).toHaveLength(3);
    expect(statements).toMatchSnapshot();
  });

  it('changes with each component: one statement for the page, one for all components', async () => {
    const statements = await statementsOf('{ changes { edges { node { sequence component { name } } } } }');
    expect(statements).toHaveLength(2);
    expect(statements).toMatchSnapshot();
  });
});
