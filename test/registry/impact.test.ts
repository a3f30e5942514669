import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testEngine } from '../support/database.js';
import { metadata, registerAll, registryHarness, tableCounts, type RegistryHarness } from '../support/registry.js';

let registry: RegistryHarness;
beforeAll(async () => {
  registry = await registryHarness();
});
afterAll(() => registry.close());
beforeEach(() => registry.reset());

const IMPACT = `impact {
  moved resolved stranded
  edges(first: 1000) { totalCount edges { node { dependent { uuid name } versionSpec position kind before { uuid version lifecycle } after { uuid version } } } }
}`;

const REGISTER = `mutation ($metadata: JSON!, $dryRun: Boolean, $force: Boolean) {
  register(metadata: $metadata, dryRun: $dryRun, force: $force) { registered uuid dryRun component { uuid name version revision lifecycle } ${IMPACT} }
}`;

const UPDATE = `mutation ($uuid: UUID!, $patch: JSON!, $expectedRevision: Int, $dryRun: Boolean, $force: Boolean) {
  update(uuid: $uuid, patch: $patch, expectedRevision: $expectedRevision, dryRun: $dryRun, force: $force) {
    changed revision dryRun component { uuid revision lifecycle } ${IMPACT}
  }
}`;

const REGISTER_MANY = `mutation ($metadata: [JSON!]!, $dryRun: Boolean) {
  registerMany(metadata: $metadata, dryRun: $dryRun) {
    registered unchanged dryRun ${IMPACT}
    results { uuid registered dryRun impact { moved resolved stranded } }
  }
}`;

const RETIRE = { lifecycle: 'retired' };

interface EdgeView {
  dependent: string;
  versionSpec: string;
  kind: string;
  before: string | null;
  after: string | null;
}

/** The edges of an impact as dependent name, range, kind and versions before and after. */
function edgesOf(impact: { edges: { edges: Array<{ node: any }> } }): EdgeView[] {
  return impact.edges.edges.map(({ node }) => ({
    dependent: node.dependent.name,
    versionSpec: node.versionSpec,
    kind: node.kind,
    before: node.before?.version ?? null,
    after: node.after?.version ?? null,
  }));
}

/** yaml-parser 2.0.0 and 2.1.0, and dependents on ^2, ~2.1.0 and ^3. */
async function parserAndDependents() {
  const v200 = metadata({ name: 'yaml-parser', version: '2.0.0' });
  const v210 = metadata({ name: 'yaml-parser', version: '2.1.0' });
  const caret = metadata({ name: 'app-caret', dependencies: [{ name: 'yaml-parser', version_spec: '^2' }] });
  const tilde = metadata({ name: 'app-tilde', dependencies: [{ name: 'yaml-parser', version_spec: '~2.1.0' }] });
  const next = metadata({ name: 'app-next', dependencies: [{ name: 'yaml-parser', version_spec: '^3' }] });
  await registerAll(registry, [v200, v210, caret, tilde, next]);
  return { v200, v210, caret, tilde, next };
}

async function feedLength(): Promise<number> {
  const result = await registry.graphql('{ changes(first: 1000) { edges { cursor } } }');
  return result.data!.changes.edges.length;
}

describe('impact of a write', () => {
  it('names every declaration a new version moves or resolves, and nothing else', async () => {
    await parserAndDependents();
    const minor = await registry.graphql(REGISTER, { metadata: metadata({ name: 'yaml-parser', version: '2.2.0' }) });
    expect(minor.errors).toBeUndefined();
    expect(minor.data!.register.impact).toMatchObject({ moved: 1, resolved: 0, stranded: 0 });
    expect(edgesOf(minor.data!.register.impact)).toEqual([{ dependent: 'app-caret', versionSpec: '^2', kind: 'MOVED', before: '2.1.0', after: '2.2.0' }]);

    const major = await registry.graphql(REGISTER, { metadata: metadata({ name: 'yaml-parser', version: '3.0.0' }) });
    expect(edgesOf(major.data!.register.impact)).toEqual([{ dependent: 'app-next', versionSpec: '^3', kind: 'RESOLVED', before: null, after: '3.0.0' }]);

    // A version nothing chooses changes nothing.
    const older = await registry.graphql(REGISTER, { metadata: metadata({ name: 'yaml-parser', version: '1.0.0' }) });
    expect(older.data!.register.impact).toMatchObject({ moved: 0, resolved: 0, stranded: 0, edges: { totalCount: 0, edges: [] } });
  });

  it('reports a dependency pinned by uuid resolving when that uuid is registered', async () => {
    const uuid = randomUUID();
    await registerAll(registry, [metadata({ name: 'pins', dependencies: [{ uuid }] })]);
    const result = await registry.graphql(REGISTER, { metadata: metadata({ uuid, name: 'pinned', version: '1.0.0' }) });
    expect(edgesOf(result.data!.register.impact)).toEqual([{ dependent: 'pins', versionSpec: uuid, kind: 'RESOLVED', before: null, after: '1.0.0' }]);
  });

  it('is the same whether the registration is new or a repeat of nothing', async () => {
    const { v210 } = await parserAndDependents();
    const again = await registry.graphql(REGISTER, { metadata: v210 });
    expect(again.data!.register).toMatchObject({ registered: false, impact: { moved: 0, resolved: 0, stranded: 0 } });
  });

  it('shows a retirement moving dependents to the next version down, and deprecation changing nothing', async () => {
    const { v210, v200 } = await parserAndDependents();
    await registerAll(registry, [metadata({ name: 'yaml-parser', version: '2.1.1' })]);
    const deprecated = await registry.graphql(UPDATE, { uuid: v210.uuid, patch: { lifecycle: 'deprecated' } });
    expect(deprecated.errors).toBeUndefined();
    expect(deprecated.data!.update.impact).toMatchObject({ moved: 0, resolved: 0, stranded: 0 });

    const retired = await registry.graphql(UPDATE, { uuid: v200.uuid, patch: RETIRE });
    expect(retired.errors).toBeUndefined();
    expect(retired.data!.update.impact).toMatchObject({ moved: 0, stranded: 0 });
  });

  it('pages through its edges with cursors and refuses bad paging arguments', async () => {
    const dependents = Array.from({ length: 5 }, (_, index) =>
      metadata({ name: `dependent-${index}`, dependencies: [{ name: 'core', version_spec: '*' }] }),
    );
    await registerAll(registry, [metadata({ name: 'core', version: '1.0.0' }), ...dependents]);
    const page = (after?: string) =>
      registry.graphql(
        `mutation ($metadata: JSON!, $after: String) { register(metadata: $metadata, dryRun: true) {
           impact { moved edges(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { dependent { name } } } } } } }`,
        { metadata: metadata({ name: 'core', version: '1.1.0' }), after },
      );
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const result = await page(after);
      expect(result.errors).toBeUndefined();
      const { edges } = result.data!.register.impact;
      expect(edges.totalCount).toBe(5);
      seen.push(...edges.edges.map((edge: any) => edge.node.dependent.name));
      if (!edges.pageInfo.hasNextPage) break;
      after = edges.pageInfo.endCursor;
    }
    expect(seen).toEqual(dependents.map((document) => document.name));

    const badCursor = await page('not-a-cursor');
    expect(badCursor.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
    const tooMany = await registry.graphql(
      `mutation ($metadata: JSON!) { register(metadata: $metadata, dryRun: true) { impact { edges(first: 5000) { totalCount } } } }`,
      { metadata: metadata({ name: 'core', version: '1.1.0' }) },
    );
    expect(tooMany.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first' });
  });

  it('reaches the transitive dependents of what it changes, bounded by maxDepth', async () => {
    const core = metadata({ name: 'core', version: '1.0.0' });
    const lib = metadata({ name: 'lib', dependencies: [{ name: 'core', version_spec: '^1' }] });
    const app = metadata({ name: 'app', dependencies: [{ name: 'lib', version_spec: '^1' }] });
    const tool = metadata({ name: 'tool', dependencies: [{ uuid: app.uuid }] });
    await registerAll(registry, [core, lib, app, tool, metadata({ name: 'unrelated', dependencies: [{ name: 'lib', version_spec: '^2' }] })]);
    const affected = (maxDepth: number | null) =>
      registry.graphql(
        `mutation ($metadata: JSON!, $maxDepth: Int) { register(metadata: $metadata, dryRun: true) {
           impact { affected(maxDepth: $maxDepth) { totalCount edges { node { name } } } } } }`,
        { metadata: metadata({ name: 'core', version: '1.1.0' }), maxDepth },
      );
    const names = async (maxDepth: number | null) => {
      const result = await affected(maxDepth);
      expect(result.errors).toBeUndefined();
      return result.data!.register.impact.affected.edges.map((edge: any) => edge.node.name);
    };
    expect(await names(1)).toEqual(['lib']);
    expect(await names(2)).toEqual(['app', 'lib']);
    expect(await names(null)).toEqual(['app', 'lib', 'tool']);
    expect(await names(0)).toEqual([]);
    expect((await affected(-1)).errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'maxDepth' });
  });
});

describe('a retirement that would strand dependents', () => {
  it('is refused, naming them, and writes nothing', async () => {
    const { v210, tilde } = await parserAndDependents();
    // A retired dependent does not hold a retirement back.
    await registerAll(registry, [metadata({ name: 'old-app', lifecycle: 'retired', dependencies: [{ name: 'yaml-parser', version_spec: '2.1.0' }] })]);
    const before = await tableCounts(registry);
    const refused = await registry.graphql(UPDATE, { uuid: v210.uuid, patch: RETIRE });
    expect(refused.data).toBeNull();
    expect(refused.errors![0]!.message).toMatch(/leave 1 dependent .*app-tilde@1\.0\.0.*force: true/);
    expect(refused.errors![0]!.extensions).toEqual({ code: 'WOULD_STRAND_DEPENDENTS', dependents: [tilde.uuid], total: 1 });
    expect(await tableCounts(registry)).toEqual(before);
    const lookup = await registry.graphql('query ($uuid: UUID) { component(uuid: $uuid) { lifecycle revision } }', { uuid: v210.uuid });
    expect(lookup.data!.component).toEqual({ lifecycle: 'EXPERIMENTAL', revision: 1 });
  });

  it('is refused without the impact asked for too', async () => {
    const { v210 } = await parserAndDependents();
    const refused = await registry.graphql(
      'mutation ($uuid: UUID!) { update(uuid: $uuid, patch: { lifecycle: "retired" }) { revision } }',
      { uuid: v210.uuid },
    );
    expect(refused.errors![0]!.extensions.code).toBe('WOULD_STRAND_DEPENDENTS');
  });

  it('is made when forced, and its revision records that it was, with how many it stranded', async () => {
    const { v210 } = await parserAndDependents();
    const forced = await registry.graphql(UPDATE, { uuid: v210.uuid, patch: RETIRE, force: true });
    expect(forced.errors).toBeUndefined();
    expect(forced.data!.update).toMatchObject({ changed: true, revision: 2, dryRun: false, impact: { moved: 1, stranded: 1 } });
    expect(edgesOf(forced.data!.update.impact)).toEqual([
      { dependent: 'app-caret', versionSpec: '^2', kind: 'MOVED', before: '2.1.0', after: '2.0.0' },
      { dependent: 'app-tilde', versionSpec: '~2.1.0', kind: 'STRANDED', before: '2.1.0', after: null },
    ]);
    // The version an edge resolved to before is shown as it stood then.
    expect(forced.data!.update.impact.edges.edges[1].node.before.lifecycle).toBe('EXPERIMENTAL');
    const revisions = await registry.db.query<{ revision: number; forced: boolean; stranded: number | null }>(
      'SELECT revision, forced, stranded FROM component_revisions WHERE component_uuid = $1::uuid ORDER BY revision',
      [v210.uuid],
    );
    expect(revisions).toEqual([
      { revision: 1, forced: false, stranded: null },
      { revision: 2, forced: true, stranded: 1 },
    ]);
    const history = await registry.graphql('query ($uuid: UUID) { component(uuid: $uuid) { history { revision forced stranded } } }', { uuid: v210.uuid });
    expect(history.data!.component.history).toEqual([
      { revision: 2, forced: true, stranded: 1 },
      { revision: 1, forced: false, stranded: null },
    ]);
  });

  it('is recorded as an ordinary revision when force was given but nothing stranded', async () => {
    const { v200 } = await parserAndDependents();
    const result = await registry.graphql(UPDATE, { uuid: v200.uuid, patch: RETIRE, force: true });
    expect(result.errors).toBeUndefined();
    const [revision] = await registry.db.query<{ forced: boolean }>(
      'SELECT forced FROM component_revisions WHERE component_uuid = $1::uuid AND revision = 2',
      [v200.uuid],
    );
    expect(revision!.forced).toBe(false);
  });

  it.runIf(testEngine === 'postgres')('cannot slip through when two retirements race for the last versions a range has', async () => {
    for (let round = 0; round < 5; round += 1) {
      await registry.reset();
      const a = metadata({ name: 'shared', version: '2.1.0' });
      const b = metadata({ name: 'shared', version: '2.1.1' });
      await registerAll(registry, [a, b, metadata({ name: 'user', dependencies: [{ name: 'shared', version_spec: '~2.1.0' }] })]);
      const results = await Promise.all(
        [a, b].map((version) => registry.graphql('mutation ($uuid: UUID!) { update(uuid: $uuid, patch: { lifecycle: "retired" }) { revision } }', { uuid: version.uuid })),
      );
      const refused = results.filter((result) => result.errors?.[0]?.extensions.code === 'WOULD_STRAND_DEPENDENTS');
      expect(refused).toHaveLength(1);
      expect(results.filter((result) => !result.errors)).toHaveLength(1);
      const resolved = await registry.graphql('{ component(name: "shared", versionSpec: "~2.1.0") { version } }');
      expect(resolved.data!.component).not.toBeNull();
    }
  });
});

describe('a dry run', () => {
  /** A payload without what only the real write can differ in. */
  const comparable = (payload: Record<string, any>) => {
    const { dryRun: _dryRun, component, ...rest } = payload;
    const { revision, ...fields } = component;
    return { ...rest, component: { ...fields, revision } };
  };

  it('of a registration answers what the registration then does, and writes nothing', async () => {
    await parserAndDependents();
    const document = metadata({ name: 'yaml-parser', version: '2.2.0' });
    const before = await tableCounts(registry);
    const feed = await feedLength();
    const dry = await registry.graphql(REGISTER, { metadata: document, dryRun: true });
    expect(dry.errors).toBeUndefined();
    expect(dry.data!.register.dryRun).toBe(true);
    expect(await tableCounts(registry)).toEqual(before);
    expect(await feedLength()).toBe(feed);
    expect((await registry.graphql('query ($uuid: UUID) { component(uuid: $uuid) { uuid } }', { uuid: document.uuid })).data!.component).toBeNull();

    const real = await registry.graphql(REGISTER, { metadata: document });
    expect(real.data!.register.dryRun).toBe(false);
    expect(comparable(dry.data!.register)).toEqual(comparable(real.data!.register));
  });

  it('of an update answers what the update then does, and writes nothing', async () => {
    const { v210 } = await parserAndDependents();
    await registerAll(registry, [metadata({ name: 'yaml-parser', version: '2.1.5' })]);
    const before = await tableCounts(registry);
    const dry = await registry.graphql(UPDATE, { uuid: v210.uuid, patch: RETIRE, dryRun: true });
    expect(dry.errors).toBeUndefined();
    expect(dry.data!.update).toMatchObject({ dryRun: true, changed: true, revision: 2, component: { lifecycle: 'RETIRED' } });
    expect(await tableCounts(registry)).toEqual(before);
    const real = await registry.graphql(UPDATE, { uuid: v210.uuid, patch: RETIRE });
    expect(comparable(dry.data!.update)).toEqual(comparable(real.data!.update));
  });

  it('of a stranding retirement is refused as the retirement would be, and shows it when forced', async () => {
    const { v210 } = await parserAndDependents();
    const refused = await registry.graphql(UPDATE, { uuid: v210.uuid, patch: RETIRE, dryRun: true });
    expect(refused.errors![0]!.extensions.code).toBe('WOULD_STRAND_DEPENDENTS');
    const forced = await registry.graphql(UPDATE, { uuid: v210.uuid, patch: RETIRE, dryRun: true, force: true });
    expect(forced.data!.update.impact).toMatchObject({ stranded: 1, moved: 1 });
    const [revision] = await registry.db.query<{ count: number }>('SELECT count(*)::int AS count FROM component_revisions WHERE forced');
    expect(revision!.count).toBe(0);
  });

  it('performs every check of the real write', async () => {
    const { v210, caret } = await parserAndDependents();
    const conflict = await registry.graphql(REGISTER, { metadata: { ...v210, description: 'another' }, dryRun: true });
    expect(conflict.errors![0]!.extensions.code).toBe('ALREADY_EXISTS');
    const invalid = await registry.graphql(REGISTER, { metadata: { ...metadata(), version: 'not-semver' }, dryRun: true });
    expect(invalid.errors![0]!.extensions.code).toBe('METADATA_VALIDATION_ERROR');
    const stale = await registry.graphql(UPDATE, { uuid: v210.uuid, patch: { description: 'x' }, expectedRevision: 7, dryRun: true });
    expect(stale.errors![0]!.extensions.code).toBe('REVISION_CONFLICT');
    const immutable = await registry.graphql(UPDATE, { uuid: v210.uuid, patch: { name: 'renamed' }, dryRun: true });
    expect(immutable.errors![0]!.extensions.code).toBe('IMMUTABLE_FIELD');
    // yaml-parser 2.2.0 depending on app-caret closes app-caret → yaml-parser ^2 → 2.2.0 → app-caret.
    const cycle = await registry.graphql(REGISTER, {
      metadata: metadata({ name: 'yaml-parser', version: '2.2.0', dependencies: [{ uuid: caret.uuid }] }),
      dryRun: true,
    });
    expect(cycle.errors![0]!.extensions.code).toBe('DEPENDENCY_CYCLE');
  });

  it('of a patch that changes nothing answers changed: false with no impact', async () => {
    const { v210 } = await parserAndDependents();
    const result = await registry.graphql(UPDATE, { uuid: v210.uuid, patch: {}, dryRun: true });
    expect(result.data!.update).toMatchObject({ changed: false, revision: 1, dryRun: true, impact: { moved: 0, resolved: 0, stranded: 0 } });
  });

  it('of a batch answers its whole impact and each entry its own, and writes nothing', async () => {
    await parserAndDependents();
    const batch = [metadata({ name: 'yaml-parser', version: '2.3.0' }), metadata({ name: 'yaml-parser', version: '3.0.0' })];
    const before = await tableCounts(registry);
    const dry = await registry.graphql(REGISTER_MANY, { metadata: batch, dryRun: true });
    expect(dry.errors).toBeUndefined();
    expect(dry.data!.registerMany).toMatchObject({ registered: 2, unchanged: 0, dryRun: true, impact: { moved: 1, resolved: 1, stranded: 0 } });
    expect(dry.data!.registerMany.results).toEqual([
      { uuid: batch[0]!.uuid, registered: true, dryRun: true, impact: { moved: 1, resolved: 0, stranded: 0 } },
      { uuid: batch[1]!.uuid, registered: true, dryRun: true, impact: { moved: 0, resolved: 1, stranded: 0 } },
    ]);
    expect(await tableCounts(registry)).toEqual(before);
    const real = await registry.graphql(REGISTER_MANY, { metadata: batch });
    expect({ ...real.data!.registerMany, dryRun: true, results: real.data!.registerMany.results.map((r: any) => ({ ...r, dryRun: true })) }).toEqual(
      dry.data!.registerMany,
    );
  });
});
