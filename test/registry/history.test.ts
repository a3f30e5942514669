import fc from 'fast-check';
import jsonPatch from 'fast-json-patch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metadata, REGISTER, registryHarness, UPDATE, type RegistryHarness } from '../support/registry.js';

// history(first, after), ComponentRevision.diff and Component.diff(from, to).

let registry: RegistryHarness;
let uuid: string;

beforeAll(async () => {
  registry = await registryHarness();
  const document = metadata({ name: 'paged', tags: ['a'] });
  uuid = document.uuid as string;
  await registry.graphql(REGISTER, { metadata: document });
  // Revisions 2 to 12, each adding an annotation.
  for (let index = 2; index <= 12; index += 1) await registry.graphql(UPDATE, { uuid, patch: { annotations: { [`n${index}`]: index } } });
});
afterAll(() => registry.close());

const HISTORY = `query($uuid: UUID!, $first: Int, $after: String) { component(uuid: $uuid) { history(first: $first, after: $after) { revision diff } } }`;
const revisions = async (variables: Record<string, unknown>) => {
  const result = await registry.graphql(HISTORY, { uuid, ...variables });
  expect(result.errors).toBeUndefined();
  return result.data!.component.history.map((entry: { revision: number }) => entry.revision);
};

describe('history(first, after)', () => {
  it('is newest first, 100 by default', async () => {
    expect(await revisions({})).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
  });

  it('pages towards older revisions from after', async () => {
    expect(await revisions({ first: 5 })).toEqual([12, 11, 10, 9, 8]);
    expect(await revisions({ first: 5, after: '8' })).toEqual([7, 6, 5, 4, 3]);
    expect(await revisions({ first: 5, after: '3' })).toEqual([2, 1]);
    expect(await revisions({ first: 5, after: '1' })).toEqual([]);
    expect(await revisions({ first: 0 })).toEqual([]);
    expect(await revisions({ after: '400' })).toHaveLength(12);
  });

  it('gives each revision the patch from the one before, also at the edge of a page', async () => {
    const result = await registry.graphql(HISTORY, { uuid, first: 2, after: '3' });
    expect(result.data!.component.history).toEqual([
      { revision: 2, diff: [{ op: 'add', path: '/annotations', value: { n2: 2 } }] },
      { revision: 1, diff: [] },
    ]);
    const page = await registry.graphql(HISTORY, { uuid, first: 1 });
    expect(page.data!.component.history).toEqual([{ revision: 12, diff: [{ op: 'add', path: '/annotations/n12', value: 12 }] }]);
  });

  it.each([
    [{ first: 1001 }, 'first must be between 0 and 1000 (got 1001)', 'first'],
    [{ first: -1 }, 'first must be between 0 and 1000 (got -1)', 'first'],
    [{ after: 'abc' }, 'after must be a revision number, such as "42" (got "abc")', 'after'],
    [{ after: '0' }, 'after must be a revision number, such as "42" (got "0")', 'after'],
  ])('refuses %j with BAD_USER_INPUT', async (variables, message, argument) => {
    const result = await registry.graphql(HISTORY, { uuid, ...variables });
    expect(result.errors![0]).toMatchObject({ message, extensions: { code: 'BAD_USER_INPUT', argument } });
  });
});

const DIFF = `query($uuid: UUID!, $from: Int!, $to: Int!) { component(uuid: $uuid) { diff(from: $from, to: $to) } }`;

describe('Component.diff(from, to)', () => {
  it('is the patch between any two revisions, either way', async () => {
    const forwards = await registry.graphql(DIFF, { uuid, from: 10, to: 12 });
    expect(forwards.data!.component.diff).toEqual([
      { op: 'add', path: '/annotations/n11', value: 11 },
      { op: 'add', path: '/annotations/n12', value: 12 },
    ]);
    const backwards = await registry.graphql(DIFF, { uuid, from: 12, to: 11 });
    expect(backwards.data!.component.diff).toEqual([{ op: 'remove', path: '/annotations/n12' }]);
    const same = await registry.graphql(DIFF, { uuid, from: 4, to: 4 });
    expect(same.data!.component.diff).toEqual([]);
  });

  it.each([
    [13, 1],
    [1, 0],
    [-2, 3],
  ])('refuses from %i to %i with NOT_FOUND naming the revision', async (from, to) => {
    const missing = from > 12 || from < 1 ? from : to;
    const result = await registry.graphql(DIFF, { uuid, from, to });
    expect(result.errors![0]).toMatchObject({
      message: `component ${uuid} has no revision ${missing}: its revisions are 1 to 12`,
      extensions: { code: 'NOT_FOUND', uuid, revision: missing },
    });
  });

  it('reads as of an instant: later revisions did not exist then', async () => {
    const [row] = await registry.db.query<{ at: Date }>(`SELECT at FROM component_revisions WHERE component_uuid = $1 AND revision = 5`, [uuid]);
    const query = `query($uuid: UUID!, $asOf: DateTime) { component(uuid: $uuid, asOf: $asOf) { revision diff(from: 1, to: 6) } }`;
    const result = await registry.graphql(query, { uuid, asOf: row!.at.toISOString() });
    expect(result.errors![0]).toMatchObject({ message: `component ${uuid} has no revision 6: its revisions are 1 to 5`, extensions: { code: 'NOT_FOUND' } });
    const history = await registry.graphql(`query($uuid: UUID!, $asOf: DateTime) { component(uuid: $uuid, asOf: $asOf) { history { revision } } }`, {
      uuid,
      asOf: row!.at.toISOString(),
    });
    expect(history.data!.component.history.map((entry: { revision: number }) => entry.revision)).toEqual([5, 4, 3, 2, 1]);
  });

  it('answers for every component of a search in one statement', async () => {
    registry.queries.length = 0;
    const result = await registry.graphql(`{ search(text: "paged") { edges { node { diff(from: 1, to: 2) } } } }`);
    expect(result.data!.search.edges).toEqual([{ node: { diff: [{ op: 'add', path: '/annotations', value: { n2: 2 } }] } }]);
    expect(registry.queries.filter((sql) => sql.includes('component_revisions'))).toHaveLength(1);
  });
});

// Documents that merge patches can reach: annotations of JSON values without nulls (a null deletes in RFC 7396).
const value = fc.letrec((tie) => ({
  leaf: fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.boolean()),
  node: fc.oneof({ maxDepth: 3 }, tie('leaf'), fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }), tie('node'), { maxKeys: 4 })),
})).node;
const patch = fc.record(
  {
    annotations: fc.dictionary(fc.constantFrom('p', 'q', 'r', 's'), fc.option(value, { nil: null }), { maxKeys: 4 }),
    description: fc.option(fc.string({ maxLength: 10 }), { nil: null }),
    tags: fc.subarray(['x', 'y', 'z']),
    lifecycle: fc.constantFrom('experimental', 'active', 'deprecated'),
  },
  { requiredKeys: [] },
);

describe('diff and patch agree', () => {
  let run = 0;
  it('applying diff(from, to) to revision from gives revision to, and each revision diff to its predecessor gives it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(patch, { minLength: 1, maxLength: 5 }), fc.nat(), fc.nat(), async (patches, a, b) => {
        run += 1;
        const document = metadata({ name: 'diffed', version: `1.0.${run}` });
        const id = document.uuid as string;
        expect((await registry.graphql(REGISTER, { metadata: document })).errors).toBeUndefined();
        for (const change of patches) expect((await registry.graphql(UPDATE, { uuid: id, patch: change })).errors).toBeUndefined();
        const read = await registry.graphql(
          `query($uuid: UUID!) { component(uuid: $uuid) { revision history(first: 1000) { revision metadata diff } } }`,
          { uuid: id },
        );
        const { revision, history } = read.data!.component;
        const documents = new Map<number, unknown>(history.map((entry: any) => [entry.revision, entry.metadata]));
        for (const entry of history) {
          const before = entry.revision === 1 ? null : documents.get(entry.revision - 1);
          if (before === null) expect(entry.diff).toEqual([]);
          else expect(jsonPatch.applyPatch(structuredClone(before), entry.diff, true).newDocument).toEqual(entry.metadata);
        }
        const from = 1 + (a % revision);
        const to = 1 + (b % revision);
        const diff = await registry.graphql(DIFF, { uuid: id, from, to });
        expect(diff.errors).toBeUndefined();
        const applied = jsonPatch.applyPatch(structuredClone(documents.get(from)), diff.data!.component.diff, true).newDocument;
        expect(applied).toEqual(documents.get(to));
      }),
      { numRuns: 25 },
    );
  }, 300_000);
});
