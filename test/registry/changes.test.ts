import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { metadata, REGISTER, registryHarness, UPDATE, type RegistryHarness } from '../support/registry.js';

let registry: RegistryHarness;
beforeAll(async () => {
  registry = await registryHarness();
});
afterAll(() => registry.close());
beforeEach(() => registry.reset());

const CHANGES = `query($after: String, $first: Int) {
  changes(after: $after, first: $first) {
    edges { cursor node { sequence kind uuid revision component { name revision } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

interface ChangeNode {
  sequence: string;
  kind: string;
  uuid: string;
  revision: number;
}

interface FeedPage {
  nodes: ChangeNode[];
  hasNextPage: boolean;
  endCursor: string | null;
}

async function readFeed(after: string | null, first?: number): Promise<FeedPage> {
  const result = await registry.graphql(CHANGES, { after, first });
  expect(result.errors).toBeUndefined();
  const { changes } = result.data!;
  return { nodes: changes.edges.map((edge: { node: ChangeNode }) => edge.node) as ChangeNode[], ...changes.pageInfo };
}

describe('changes', () => {
  it('lists every write in commit order, with the component as it is now', async () => {
    const document = metadata();
    await registry.graphql(REGISTER, { metadata: document });
    await registry.graphql(UPDATE, { uuid: document.uuid, patch: { owner: 'a' } });
    const result = await registry.graphql(CHANGES, {});
    expect(result.data!.changes.edges.map((edge: { node: unknown }) => edge.node)).toEqual([
      { sequence: '1', kind: 'REGISTERED', uuid: document.uuid, revision: 1, component: { name: 'yaml-lint', revision: 2 } },
      { sequence: '2', kind: 'UPDATED', uuid: document.uuid, revision: 2, component: { name: 'yaml-lint', revision: 2 } },
    ]);
  });

  it('resumes after a cursor and keeps the cursor when nothing is new', async () => {
    await registry.graphql(REGISTER, { metadata: metadata({ version: '1.0.0' }) });
    const first = await readFeed(null);
    expect(first.endCursor).toBe('1');
    const empty = await readFeed(first.endCursor);
    expect(empty).toMatchObject({ nodes: [], hasNextPage: false, endCursor: '1' });
    await registry.graphql(REGISTER, { metadata: metadata({ version: '2.0.0' }) });
    const next = await readFeed(first.endCursor);
    expect(next.nodes.map((node) => node.sequence)).toEqual(['2']);
  });

  it('pages through many writes made concurrently without a gap or a repeat', async () => {
    const documents = Array.from({ length: 40 }, (_, index) => metadata({ name: `c-${index}` }));
    await Promise.all(documents.map((document) => registry.graphql(REGISTER, { metadata: document })));
    const seen: ChangeNode[] = [];
    let after: string | null = null;
    for (;;) {
      const page = await readFeed(after, 7);
      seen.push(...page.nodes);
      if (!page.hasNextPage) break;
      after = page.endCursor;
    }
    expect(seen.map((node) => Number(node.sequence))).toEqual(Array.from({ length: 40 }, (_, index) => index + 1));
    expect(new Set(seen.map((node) => node.uuid))).toEqual(new Set(documents.map((document) => document.uuid)));
  });

  it.each([
    [{ after: 'abc' }, /after must be a cursor returned by changes/],
    [{ first: 1001 }, /first must be between 0 and 1000/],
  ])('refuses %j with BAD_USER_INPUT', async (variables, message) => {
    const result = await registry.graphql(CHANGES, variables);
    expect(result.errors![0]!.extensions.code).toBe('BAD_USER_INPUT');
    expect(result.errors![0]!.message).toMatch(message);
  });
});
