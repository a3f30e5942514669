import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { metadata, REGISTER, registryHarness, tableCounts, type RegistryHarness } from '../support/registry.js';

let registry: RegistryHarness;
beforeAll(async () => {
  registry = await registryHarness();
});
afterAll(() => registry.close());
beforeEach(() => registry.reset());

describe('register', () => {
  it('stores a new version at revision 1 with defaults applied and one history entry', async () => {
    const document = metadata({ tags: ['yaml', 'canary'], description: 'Lints YAML files' });
    const result = await registry.graphql(REGISTER, { metadata: document });
    expect(result.errors).toBeUndefined();
    expect(result.data!.register).toMatchObject({
      registered: true,
      uuid: document.uuid,
      component: { name: 'yaml-lint', version: '1.0.0', revision: 1, lifecycle: 'EXPERIMENTAL', tags: ['yaml', 'canary'] },
    });
    const read = await registry.graphql(`query($uuid: UUID!) { component(uuid: $uuid) { metadata history { revision patch metadata } } }`, {
      uuid: document.uuid,
    });
    const stored = { ...document, lifecycle: 'experimental' };
    expect(read.data!.component.metadata).toEqual(stored);
    expect(read.data!.component.history).toEqual([{ revision: 1, patch: null, metadata: stored }]);
    expect(await tableCounts(registry)).toEqual({ components: 1, revisions: 1, changes: 1 });
  });

  it('answers registered: false for the identical document again, and writes nothing more', async () => {
    const document = metadata();
    await registry.graphql(REGISTER, { metadata: document });
    const again = await registry.graphql(REGISTER, { metadata: { ...document, lifecycle: 'experimental' } });
    expect(again.data!.register).toMatchObject({ registered: false, uuid: document.uuid });
    expect(await tableCounts(registry)).toEqual({ components: 1, revisions: 1, changes: 1 });
  });

  it('refuses a different document for an existing uuid', async () => {
    const document = metadata();
    await registry.graphql(REGISTER, { metadata: document });
    const result = await registry.graphql(REGISTER, { metadata: { ...document, description: 'changed' } });
    expect(result.errors![0]!.extensions).toMatchObject({ code: 'ALREADY_EXISTS', existingUuid: document.uuid });
    expect(result.errors![0]!.message).toMatch(/already registered .* with a different document; use update/);
  });

  it('refuses a second uuid for an existing name and version', async () => {
    const first = metadata();
    await registry.graphql(REGISTER, { metadata: first });
    const result = await registry.graphql(REGISTER, { metadata: metadata() });
    expect(result.errors![0]!.extensions).toMatchObject({ code: 'ALREADY_EXISTS', existingUuid: first.uuid });
    expect(result.errors![0]!.message).toBe(
      `yaml-lint@1.0.0 is already registered under uuid ${first.uuid}; a new document needs a new version`,
    );
    expect(await tableCounts(registry)).toEqual({ components: 1, revisions: 1, changes: 1 });
  });

  it('registers exactly once when the same document arrives many times at once', async () => {
    const document = metadata();
    const results = await Promise.all(Array.from({ length: 12 }, () => registry.graphql(REGISTER, { metadata: document })));
    expect(results.flatMap((result) => result.errors ?? [])).toEqual([]);
    expect(results.filter((result) => result.data!.register.registered)).toHaveLength(1);
    expect(await tableCounts(registry)).toEqual({ components: 1, revisions: 1, changes: 1 });
  });

  it('keeps each version of a component as its own entry', async () => {
    for (const version of ['1.0.0', '1.1.0', '2.0.0-rc.1']) {
      const result = await registry.graphql(REGISTER, { metadata: metadata({ version }) });
      expect(result.data!.register.registered).toBe(true);
    }
    expect((await tableCounts(registry)).components).toBe(3);
  });
});

describe('register refuses bad documents and writes nothing', () => {
  const cases: Array<[string, unknown, Array<{ pointer: string; keyword: string }>]> = [
    ['a missing uuid', (({ uuid, ...rest }) => rest)(metadata()), [{ pointer: '/uuid', keyword: 'required' }]],
    ['an unknown top-level key', { ...metadata(), colour: 'red' }, [{ pointer: '/colour', keyword: 'additionalProperties' }]],
    ['wrong types', { ...metadata(), tags: 'yaml', version: 1 }, [
      { pointer: '/tags', keyword: 'type' },
      { pointer: '/version', keyword: 'type' },
    ]],
    ['an invalid uuid', metadata({ uuid: 'not-a-uuid' }), [{ pointer: '/uuid', keyword: 'pattern' }]],
    ['a bad range in a dependency', metadata({ dependencies: [{ name: 'x', version_spec: '^^1' }] }), [
      { pointer: '/dependencies/0/version_spec', keyword: 'format' },
    ]],
    ['a document of 300 KiB', metadata({ description: 'x', annotations: { blob: 'y'.repeat(300 * 1024) } }), [
      { pointer: '', keyword: 'maxBytes' },
    ]],
    ['a list instead of a document', [metadata()], [{ pointer: '', keyword: 'type' }]],
  ];

  it.each(cases)('%s', async (_label, document, problems) => {
    const result = await registry.graphql(REGISTER, { metadata: document });
    expect(result.data).toBeNull();
    const [error] = result.errors!;
    expect(error!.extensions.code).toBe('METADATA_VALIDATION_ERROR');
    expect(error!.message).toMatch(/^metadata is invalid/);
    expect(error!.extensions.errors).toEqual(problems.map((problem) => expect.objectContaining(problem)));
    for (const problem of error!.extensions.errors) expect(problem.message).toEqual(expect.any(String));
    expect(await tableCounts(registry)).toEqual({ components: 0, revisions: 0, changes: 0 });
  });
});
