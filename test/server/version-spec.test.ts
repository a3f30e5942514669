import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveRange } from '../../src/resolvers/ranges.js';
import { metadata, registerAll, registryHarness, type RegistryHarness } from '../support/registry.js';

// An empty versionSpec means "*", as an empty range does in npm (SPEC §3.1).
describe('an empty versionSpec', () => {
  let harness: RegistryHarness;
  beforeAll(async () => {
    harness = await registryHarness();
    await registerAll(harness, [
      metadata({ name: 'yaml-lint', version: '1.0.0' }),
      metadata({ name: 'yaml-lint', version: '1.5.0' }),
      metadata({ name: 'yaml-lint', version: '2.0.0-beta.1' }),
      metadata({ name: 'yaml-lint', version: '1.9.0', lifecycle: 'retired' }),
    ]);
  });
  afterAll(async () => {
    await harness?.close();
  });

  it.each([[''], ['  ']])('%j chooses what "*" chooses: the highest non-retired release', async (versionSpec) => {
    const query = 'query($v: String) { component(name: "yaml-lint", versionSpec: $v) { version } }';
    const [empty, star] = await Promise.all([harness.graphql(query, { v: versionSpec }), harness.graphql(query, { v: '*' })]);
    expect(empty).toEqual({ data: { component: { version: '1.5.0' } } });
    expect(empty).toEqual(star);
  });

  it('resolves the same way in the one rule the CLI and the server share', () => {
    const candidates = [
      { version: '1.0.0', lifecycle: 'ACTIVE' },
      { version: '2.0.0', lifecycle: 'RETIRED' },
    ];
    expect(resolveRange(candidates, '')).toBe(candidates[0]);
  });

  it('is still refused when it is not a range at all', async () => {
    const result = await harness.graphql('{ component(name: "yaml-lint", versionSpec: "not a range!") { version } }');
    expect(result.errors?.[0]?.extensions.code).toBe('INVALID_VERSION_SPEC');
  });
});
