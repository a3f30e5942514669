import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryYoga } from '../../src/server/yoga.js';
import { metadata, REGISTER, registerAll, registryHarness, UPDATE, type RegistryHarness } from '../support/registry.js';
import { createToken } from '../../src/auth/tokens.js';

let registry: RegistryHarness;
beforeAll(async () => {
  registry = await registryHarness();
});
afterAll(() => registry.close());

async function scrape(): Promise<string> {
  const response = await registry.yoga.fetch('http://registry.test/metrics');
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  return response.text();
}

/** The value of one series in Prometheus text, e.g. sample(text, 'registry_total_components', { type: 'tool' }). */
function samples(text: string, name: string, labels: Record<string, string> = {}): number[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .filter((line) => Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`)))
    .map((line) => Number(line.slice(line.lastIndexOf(' ') + 1)));
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

describe('/metrics', () => {
  it('counts registered components by type and lifecycle, read from the database', async () => {
    await registry.reset();
    await registerAll(registry, [
      ...Array.from({ length: 7 }, (_, index) => metadata({ name: `v-${index}`, lifecycle: 'active' })),
      ...Array.from({ length: 3 }, (_, index) => metadata({ name: `t-${index}`, type: 'tool' })),
    ]);
    let text = await scrape();
    expect(sum(samples(text, 'registry_total_components'))).toBe(10);
    expect(samples(text, 'registry_total_components', { type: 'validator', lifecycle: 'active' })).toEqual([7]);
    expect(samples(text, 'registry_total_components', { type: 'tool', lifecycle: 'experimental' })).toEqual([3]);
    expect(samples(text, 'registry_total_components', { type: 'test', lifecycle: 'retired' })).toEqual([0]);

    const retire = await registry.graphql(`{ component(name: "v-0") { uuid } }`);
    await registry.graphql(UPDATE, { uuid: retire.data!.component.uuid, patch: { lifecycle: 'retired' } });
    text = await scrape();
    expect(samples(text, 'registry_total_components', { type: 'validator', lifecycle: 'active' })).toEqual([6]);
    expect(samples(text, 'registry_total_components', { type: 'validator', lifecycle: 'retired' })).toEqual([1]);
  });

  it('counts operations by root field and outcome, with their latency', async () => {
    const before = await scrape();
    const okBefore = sum(samples(before, 'registry_operations_total', { operation: 'register', outcome: 'ok' }));
    const conflictBefore = sum(samples(before, 'registry_operations_total', { operation: 'register', outcome: 'ALREADY_EXISTS' }));
    const document = metadata({ name: 'counted' });
    await registry.graphql(REGISTER, { metadata: document });
    await registry.graphql(REGISTER, { metadata: { ...document, uuid: '00000000-0000-4000-8000-000000000001' } });
    await registry.graphql('{ nope }');
    const text = await scrape();
    expect(sum(samples(text, 'registry_operations_total', { operation: 'register', outcome: 'ok' }))).toBe(okBefore + 1);
    expect(sum(samples(text, 'registry_operations_total', { operation: 'register', outcome: 'ALREADY_EXISTS' }))).toBe(conflictBefore + 1);
    expect(sum(samples(text, 'registry_operations_total', { operation: 'invalid', outcome: 'BAD_USER_INPUT' }))).toBeGreaterThanOrEqual(1);
    expect(samples(text, 'registry_query_latency_ms_count', { operation: 'register' })[0]).toBeGreaterThanOrEqual(2);
    expect(samples(text, 'graphql_envelop_phase_execute_count').length).toBeGreaterThan(0);
  });

  it('never turns what a client names into labels', async () => {
    await registry.graphql('query ClientChosenName8f3a { search(first: 1) { totalCount } }');
    await registry.graphql('{ aliasChosen8f3a: component(name: "x", versionSpec: "^^") { uuid } }');
    const text = await scrape();
    expect(text).not.toContain('ClientChosenName8f3a');
    expect(text).not.toContain('aliasChosen8f3a');
  });

  it('reports the hit ratio of the response cache and the database pool', async () => {
    const [before] = samples(await scrape(), 'registry_cache_hit_ratio');
    // One miss, then four answers from the cache: no write comes between them.
    for (let round = 0; round < 5; round += 1) await registry.graphql('{ search(first: 2) { totalCount } }');
    const text = await scrape();
    const [ratio] = samples(text, 'registry_cache_hit_ratio');
    expect(ratio).toBeGreaterThan(before!);
    expect(ratio).toBeLessThanOrEqual(1);
    expect(samples(text, 'registry_db_pool_connections', { state: 'total' })[0]).toBeGreaterThanOrEqual(1);
  });
});

describe('request logs', () => {
  it('write one JSON line per GraphQL request with id, operation, duration and outcome, never the token', async () => {
    const lines: string[] = [];
    const { token, record } = await createToken(registry.db, { name: 'logged', capabilities: ['REGISTRY_READ', 'REGISTRY_WRITE'] });
    const yoga = createRegistryYoga({ db: registry.db, logger: pino({ level: 'info' }, { write: (line: string) => lines.push(line) }) });
    const post = (body: unknown, headers: Record<string, string> = {}) =>
      yoga.fetch('http://registry.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
        body: JSON.stringify(body),
      });
    await post({ query: 'query Lookup { component(name: "counted") { uuid } }', operationName: 'Lookup' }, { 'x-request-id': 'log-1' });
    await post({ query: 'mutation { update(uuid: "00000000-0000-4000-8000-000000000000", patch: {}) { revision } }' }, { 'x-request-id': 'log-2' });
    await yoga.fetch('http://registry.test/healthz');
    const entries = lines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === 'graphql request');
    expect(entries).toEqual([
      expect.objectContaining({ requestId: 'log-1', operation: 'component', operationName: 'Lookup', operationType: 'query', outcome: 'ok', status: 200, principal: `token:${record.id}`, durationMs: expect.any(Number) }),
      expect.objectContaining({ requestId: 'log-2', operation: 'update', operationName: null, operationType: 'mutation', outcome: 'NOT_FOUND' }),
    ]);
    expect(lines.join('\n')).not.toContain(token.slice('omni_123456789abc_'.length));
  });
});
