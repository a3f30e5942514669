import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metadata, REGISTER, registerAll, registryHarness, tableCounts, type GraphQLResponse, type RegistryHarness } from '../support/registry.js';

let registry: RegistryHarness;

beforeAll(async () => {
  registry = await registryHarness();
  await registerAll(registry, [
    metadata({ name: 'yaml-lint', version: '1.0.0', tags: ['yaml', 'lint'], lifecycle: 'deprecated', description: 'Lints YAML files' }),
    metadata({ name: 'yaml-lint', version: '1.1.0', tags: ['yaml', 'lint', 'canary'], lifecycle: 'active', description: 'Lints YAML files' }),
    metadata({ name: 'yaml-lint', version: '2.0.0-rc.1', tags: ['yaml', 'lint'], description: 'Lints YAML files' }),
    metadata({ name: 'json-schema-check', version: '3.2.1', type: 'tool', tags: ['json', 'canary'], lifecycle: 'active', description: 'Checks documents against JSON Schema' }),
    metadata({ name: 'smoke-suite', version: '0.1.0', type: 'test', tags: ['canary'], description: 'End-to-end smoke tests of the deploy pipeline' }),
  ]);
});
afterAll(() => registry.close());

const SEARCH = `query($tags: [String!], $type: ComponentType, $lifecycle: Lifecycle, $text: String, $latestOnly: Boolean, $first: Int, $after: String) {
  search(tags: $tags, type: $type, lifecycle: $lifecycle, text: $text, latestOnly: $latestOnly, first: $first, after: $after) {
    totalCount
    edges { cursor node { name version } }
    pageInfo { hasNextPage endCursor }
  }
}`;

async function names(variables: Record<string, unknown>): Promise<string[]> {
  const result = await registry.graphql(SEARCH, variables);
  expect(result.errors).toBeUndefined();
  const { search } = result.data!;
  expect(search.totalCount).toBe(search.edges.length);
  return search.edges.map((edge: { node: { name: string; version: string } }) => `${edge.node.name}@${edge.node.version}`);
}

describe('search filters combine with AND', () => {
  it('orders by name, then newest version first', async () => {
    expect(await names({})).toEqual([
      'json-schema-check@3.2.1',
      'smoke-suite@0.1.0',
      'yaml-lint@2.0.0-rc.1',
      'yaml-lint@1.1.0',
      'yaml-lint@1.0.0',
    ]);
  });

  it('tags means all of them', async () => {
    expect(await names({ tags: ['canary'] })).toEqual(['json-schema-check@3.2.1', 'smoke-suite@0.1.0', 'yaml-lint@1.1.0']);
    expect(await names({ tags: ['canary', 'yaml'] })).toEqual(['yaml-lint@1.1.0']);
    expect(await names({ tags: ['canary', 'nothing-has-this'] })).toEqual([]);
  });

  it('type and lifecycle', async () => {
    expect(await names({ type: 'TEST' })).toEqual(['smoke-suite@0.1.0']);
    expect(await names({ lifecycle: 'ACTIVE' })).toEqual(['json-schema-check@3.2.1', 'yaml-lint@1.1.0']);
    expect(await names({ lifecycle: 'ACTIVE', type: 'VALIDATOR', tags: ['canary'] })).toEqual(['yaml-lint@1.1.0']);
  });

  it('latestOnly keeps the highest matching version of each name', async () => {
    expect(await names({ latestOnly: true })).toEqual(['json-schema-check@3.2.1', 'smoke-suite@0.1.0', 'yaml-lint@2.0.0-rc.1']);
    expect(await names({ latestOnly: true, lifecycle: 'DEPRECATED' })).toEqual(['yaml-lint@1.0.0']);
  });
});

describe('search text', () => {
  it('matches stemmed words of the description', async () => {
    expect(await names({ text: 'linting' })).toEqual(['yaml-lint@2.0.0-rc.1', 'yaml-lint@1.1.0', 'yaml-lint@1.0.0']);
    expect(await names({ text: 'document schemas' })).toEqual(['json-schema-check@3.2.1']);
  });

  it('matches names and tags word for word, with web-search syntax', async () => {
    expect(await names({ text: 'smoke-suite' })).toEqual(['smoke-suite@0.1.0']);
    expect(await names({ text: 'canary -yaml' })).toEqual(['json-schema-check@3.2.1', 'smoke-suite@0.1.0']);
    expect(await names({ text: '"deploy pipeline"' })).toEqual(['smoke-suite@0.1.0']);
  });

  it.each([
    "x'); DROP TABLE components; --",
    '\\\' OR 1=1 --',
    '%_%',
    '!!!:*&|()',
  ])('treats %j as words, not SQL or query syntax', async (text) => {
    expect(await names({ text })).toEqual([]);
    expect((await tableCounts(registry)).components).toBe(5);
  });

  it('ignores blank text', async () => {
    expect(await names({ text: '   ' })).toHaveLength(5);
  });
});

describe('search arguments', () => {
  it.each([
    [{ first: 501 }, /first must be between 0 and 500/],
    [{ first: -1 }, /first must be between 0 and 500/],
    [{ after: 'not-a-cursor' }, /after must be a cursor returned by search/],
    [{ after: Buffer.from('{"a":1}').toString('base64url') }, /after must be a cursor returned by search/],
    [{ tags: Array.from({ length: 65 }, (_, index) => `t${index}`) }, /at most 64 tags/],
    [{ text: 'x'.repeat(1001) }, /text is limited to 1000 characters/],
  ])('refuses %j with BAD_USER_INPUT', async (variables, message) => {
    const result = await registry.graphql(SEARCH, variables);
    expect(result.errors![0]!.extensions.code).toBe('BAD_USER_INPUT');
    expect(result.errors![0]!.message).toMatch(message);
  });
});

describe('search pagination', () => {
  it('neither skips nor repeats while writes happen between pages', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let page = 0;
    for (;;) {
      const result: GraphQLResponse = await registry.graphql(SEARCH, { first: 2, after });
      const { search } = result.data!;
      seen.push(...search.edges.map((edge: { node: { name: string; version: string } }) => `${edge.node.name}@${edge.node.version}`));
      // Between pages, entries appear before the cursor, after it, and as new versions of names already seen.
      page += 1;
      await registry.graphql(REGISTER, { metadata: metadata({ name: `aaa-${page}`, version: '1.0.0' }) });
      await registry.graphql(REGISTER, { metadata: metadata({ name: 'yaml-lint', version: `0.${page}.0` }) });
      if (!search.pageInfo.hasNextPage) break;
      after = search.pageInfo.endCursor;
    }
    expect(new Set(seen).size).toBe(seen.length);
    for (const original of ['json-schema-check@3.2.1', 'smoke-suite@0.1.0', 'yaml-lint@2.0.0-rc.1', 'yaml-lint@1.1.0', 'yaml-lint@1.0.0']) {
      expect(seen).toContain(original);
    }
    expect(seen.some((entry) => entry.startsWith('aaa-'))).toBe(false);
    await registry.reset();
  });
});
