import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonChunks } from '../../src/server/chunked-results.js';
import { registerGraph } from '../support/graph.js';
import { registryHarness, type RegistryHarness } from '../support/registry.js';

const text = (value: unknown) => Buffer.concat([...jsonChunks(value)]).toString('utf8');

// Values as an execution result holds them: JSON, with dates, undefined properties and long lists mixed in.
const leaf = fc.oneof(fc.string({ unit: 'grapheme' }), fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.date({ noInvalidDate: true }));
const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, leaf, tie('list'), tie('object')),
  list: fc.oneof(fc.array(tie('value'), { maxLength: 5 }), fc.array(leaf, { minLength: 200, maxLength: 1200 })),
  object: fc.dictionary(fc.string(), tie('value'), { maxKeys: 5 }),
}));

describe('jsonChunks', () => {
  it('writes exactly what JSON.stringify writes (fast-check)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), value), (result) => {
        expect(text(result)).toBe(JSON.stringify(result));
      }),
      { numRuns: 300 },
    );
  });
});

describe('answers larger than 256 KiB', () => {
  let registry: RegistryHarness;
  beforeAll(async () => {
    registry = await registryHarness();
  });
  afterAll(() => registry.close());

  const post = (query: string, variables: Record<string, unknown>) =>
    registry.yoga.fetch('http://registry.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query, variables }),
    });

  it('go out in chunks, with the media type Yoga answers with and the same text; small ones as before', async () => {
    // A root over 250 leaves; twelve aliases of its node list take the answer past 256 KiB.
    const spec: Record<string, { name: string; deps?: string[] }> = { root: { name: 'root', deps: [] } };
    for (let i = 0; i < 250; i += 1) {
      spec[`leaf${i}`] = { name: `leaf-${i}` };
      spec.root!.deps!.push(`leaf-${i}@^1`);
    }
    const uuids = await registerGraph(registry, spec);
    const query = `query($r: UUID!) { dependencyGraph(root: $r) { nodes { depth component { uuid name version } } edges { from to versionSpec } } }`;
    const repeat = `query($r: UUID!) { dependencyGraph(root: $r) { ${Array.from({ length: 12 }, (_, i) => `a${i}: nodes { depth component { uuid name version lifecycle } }`).join(' ')} } }`;
    const large = await post(repeat, { r: uuids.root });
    expect(large.headers.get('content-length')).toBeNull();
    expect(large.headers.get('content-type')).toBe('application/graphql-response+json; charset=utf-8');
    const body = await large.text();
    expect(body.length).toBeGreaterThan(256 * 1024);
    const parsed = JSON.parse(body) as { data: { dependencyGraph: Record<string, unknown[]> } };
    expect(Object.keys(parsed.data.dependencyGraph)).toEqual(Array.from({ length: 12 }, (_, i) => `a${i}`));
    expect(parsed.data.dependencyGraph.a11).toHaveLength(251);
    // Serialised in one piece, the same answer reads the same.
    expect(body).toBe(JSON.stringify(parsed));

    const small = await post(query, { r: uuids.leaf0 });
    expect(small.headers.get('content-length')).not.toBeNull();
    expect(await small.json()).toMatchObject({ data: { dependencyGraph: { nodes: [{ depth: 0 }], edges: [] } } });
  });
});
