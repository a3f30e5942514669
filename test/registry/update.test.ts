import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { metadata, REGISTER, registryHarness, tableCounts, UPDATE, type RegistryHarness } from '../support/registry.js';

let registry: RegistryHarness;
beforeAll(async () => {
  registry = await registryHarness();
});
afterAll(() => registry.close());
beforeEach(() => registry.reset());

async function registered(fields: Parameters<typeof metadata>[0] = {}) {
  const document = metadata(fields);
  const result = await registry.graphql(REGISTER, { metadata: document });
  expect(result.errors).toBeUndefined();
  return document as { uuid: string } & Record<string, unknown>;
}

const HISTORY = `query($uuid: UUID!) { component(uuid: $uuid) { revision metadata history { revision patch } } }`;

// RFC 7396 Appendix A, each case [original, patch, result]. The registry patches whole documents, so each
// case is played under /annotations/example, where any JSON value may stand; a null result means "removed".
const APPENDIX_A: Array<[unknown, unknown, unknown]> = [
  [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
  [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
  [{ a: 'b' }, { a: null }, {}],
  [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
  [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
  [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
  [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
  [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
  [['a', 'b'], ['c', 'd'], ['c', 'd']],
  [{ a: 'b' }, ['c'], ['c']],
  [{ a: 'foo' }, null, null],
  [{ a: 'foo' }, 'bar', 'bar'],
  [{ e: null }, { a: 1 }, { e: null, a: 1 }],
  [[1, 2], { a: 'b', c: null }, { a: 'b' }],
  [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
];

describe('update applies RFC 7396 merge patches', () => {
  it.each(APPENDIX_A)('%j patched with %j gives %j', async (original, patch, expected) => {
    const { uuid } = await registered({ annotations: { example: original } });
    const result = await registry.graphql(UPDATE, { uuid, patch: { annotations: { example: patch } } });
    expect(result.errors).toBeUndefined();
    const annotations = result.data!.update.component.metadata.annotations;
    expect(annotations).toEqual(expected === null ? {} : { example: expected });
  });

  it('updates the typed columns with the document and records the patch in history', async () => {
    const { uuid } = await registered({ tags: ['yaml'] });
    const patch = { lifecycle: 'active', tags: ['yaml', 'canary'], description: 'Lints YAML' };
    const result = await registry.graphql(UPDATE, { uuid, patch, expectedRevision: 1 });
    expect(result.data!.update).toMatchObject({
      changed: true,
      revision: 2,
      component: { lifecycle: 'ACTIVE', tags: ['yaml', 'canary'], description: 'Lints YAML' },
    });
    const read = await registry.graphql(HISTORY, { uuid });
    expect(read.data!.component.history).toEqual([
      { revision: 2, patch },
      { revision: 1, patch: null },
    ]);
  });

  it('takes variables inside the patch literal', async () => {
    const { uuid } = await registered();
    const result = await registry.graphql(
      `mutation($u: UUID!, $owner: String, $tag: String) { update(uuid: $u, patch: { owner: $owner, tags: [$tag, "b"] }) { revision component { metadata } } }`,
      { u: uuid, owner: 'platform-team', tag: 'a' },
    );
    expect(result.data!.update.revision).toBe(2);
    expect(result.data!.update.component.metadata).toMatchObject({ owner: 'platform-team', tags: ['a', 'b'] });
  });

  it('removes an optional field patched to null', async () => {
    const { uuid } = await registered({ owner: 'platform-team' });
    const result = await registry.graphql(UPDATE, { uuid, patch: { owner: null } });
    expect(result.data!.update.component.metadata).not.toHaveProperty('owner');
  });

  it('adds no revision for a patch that changes nothing', async () => {
    const { uuid } = await registered({ tags: ['yaml'] });
    const result = await registry.graphql(UPDATE, { uuid, patch: { tags: ['yaml'] } });
    expect(result.data!.update).toMatchObject({ changed: false, revision: 1 });
    expect(await tableCounts(registry)).toEqual({ components: 1, revisions: 1, changes: 1 });
  });
});

describe('update refuses, and leaves the component as it was', () => {
  it.each([
    ['uuid', { uuid: '00000000-0000-4000-8000-000000000000' }],
    ['name', { name: 'other-name' }],
    ['version', { version: '9.9.9' }],
    ['schema_version', { schema_version: '0.4' }],
    ['name', { name: null }],
  ])('a change to the immutable field %s', async (field, patch) => {
    const { uuid } = await registered();
    const result = await registry.graphql(UPDATE, { uuid, patch });
    expect(result.errors![0]!.extensions).toEqual({ code: 'IMMUTABLE_FIELD', field });
    expect(result.errors![0]!.message).toBe(`${field} cannot change after registration; register a new version instead`);
    expect(await tableCounts(registry)).toEqual({ components: 1, revisions: 1, changes: 1 });
  });

  it('accepts an immutable field patched to the value it has', async () => {
    const document = await registered();
    const result = await registry.graphql(UPDATE, {
      uuid: document.uuid,
      patch: { name: document.name, uuid: document.uuid.toUpperCase(), owner: 'me' },
    });
    expect(result.data!.update).toMatchObject({ changed: true, revision: 2 });
  });

  it('a stale expectedRevision, naming the current one', async () => {
    const { uuid } = await registered();
    await registry.graphql(UPDATE, { uuid, patch: { owner: 'a' } });
    const result = await registry.graphql(UPDATE, { uuid, patch: { owner: 'b' }, expectedRevision: 1 });
    expect(result.errors![0]!.extensions).toEqual({ code: 'REVISION_CONFLICT', currentRevision: 2, expectedRevision: 1 });
    expect(result.errors![0]!.message).toMatch(/expected revision 1, but the component is at revision 2/);
    expect(await tableCounts(registry)).toEqual({ components: 1, revisions: 2, changes: 2 });
  });

  it('a result that is not valid metadata', async () => {
    const { uuid } = await registered();
    const result = await registry.graphql(UPDATE, { uuid, patch: { tags: 'yaml', lifecycle: 'gone' } });
    expect(result.errors![0]!.extensions.code).toBe('METADATA_VALIDATION_ERROR');
    expect(result.errors![0]!.extensions.errors.map((problem: { pointer: string }) => problem.pointer)).toEqual([
      '/lifecycle',
      '/tags',
    ]);
    const read = await registry.graphql(HISTORY, { uuid });
    expect(read.data!.component.revision).toBe(1);
  });

  it('a uuid nobody registered', async () => {
    const result = await registry.graphql(UPDATE, { uuid: '00000000-0000-4000-8000-000000000000', patch: { owner: 'x' } });
    expect(result.errors![0]!.extensions.code).toBe('NOT_FOUND');
    expect(result.errors![0]!.message).toBe('no component has uuid 00000000-0000-4000-8000-000000000000');
  });
});

describe('concurrent updates', () => {
  it('never lose each other: 50 patches at once all land, each in its own revision', async () => {
    const { uuid } = await registered();
    const patches = Array.from({ length: 50 }, (_, index) => ({ annotations: { [`writer-${index}`]: index } }));
    const results = await Promise.all(patches.map((patch) => registry.graphql(UPDATE, { uuid, patch })));
    expect(results.flatMap((result) => result.errors ?? [])).toEqual([]);
    expect(results.map((result) => result.data!.update.revision).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, index) => index + 2),
    );
    const read = await registry.graphql(HISTORY, { uuid });
    const { component } = read.data!;
    expect(component.revision).toBe(51);
    expect(Object.keys(component.metadata.annotations)).toHaveLength(50);
    for (let index = 0; index < 50; index += 1) expect(component.metadata.annotations[`writer-${index}`]).toBe(index);
    expect(component.history.map((entry: { revision: number }) => entry.revision)).toEqual(
      Array.from({ length: 51 }, (_, index) => 51 - index),
    );
    expect(await tableCounts(registry)).toEqual({ components: 1, revisions: 51, changes: 51 });
  });

  it('with the same expectedRevision, exactly one wins and the rest are told the current revision', async () => {
    const { uuid } = await registered();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, index) => registry.graphql(UPDATE, { uuid, patch: { owner: `o${index}` }, expectedRevision: 1 })),
    );
    const winners = results.filter((result) => !result.errors);
    expect(winners).toHaveLength(1);
    for (const loser of results.filter((result) => result.errors)) {
      expect(loser.errors![0]!.extensions).toMatchObject({ code: 'REVISION_CONFLICT', currentRevision: 2 });
    }
  });
});
