import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Authorizer } from '../../src/auth/authorizer.js';
import type { Capability, Principal } from '../../src/auth/principal.js';
import { boundedSize, cacheEntriesFromEnv, createResponseCache, DEFAULT_CACHE_ENTRIES } from '../../src/cache/response-cache.js';
import { databaseHead } from '../../src/cache/registry-head.js';
import { createLogger } from '../../src/logger.js';
import { createRegistryMetrics } from '../../src/observability/metrics.js';
import { createRegistryYoga, type RegistryYoga } from '../../src/server/yoga.js';
import { migratedDatabase, type MigratedDatabase } from '../support/database.js';
import { metadata } from '../support/registry.js';

// The principal of a request is named by a test header, so one server can be asked as several principals.
const principals: Record<string, Principal> = {
  writer: { id: 'token:writer', name: 'writer', anonymous: false, capabilities: new Set<Capability>(['REGISTRY_READ', 'REGISTRY_WRITE']) },
  reader: { id: 'token:reader', name: 'reader', anonymous: false, capabilities: new Set<Capability>(['REGISTRY_READ']) },
  other: { id: 'token:other', name: 'other', anonymous: false, capabilities: new Set<Capability>(['REGISTRY_READ']) },
  writeOnly: { id: 'token:write-only', name: 'write-only', anonymous: false, capabilities: new Set<Capability>(['REGISTRY_WRITE']) },
};
const headerAuthorizer: Authorizer = {
  authenticate: async (request) => principals[request.headers.get('x-test-principal') ?? 'reader']!,
  allows: (principal, capability) => principal.capabilities.has(capability),
};

let database: MigratedDatabase;
const statements: string[] = [];
let yoga: RegistryYoga;
let metrics: ReturnType<typeof createRegistryMetrics>;

beforeAll(async () => {
  database = await migratedDatabase({ onQuery: (sql) => statements.push(sql) });
  metrics = createRegistryMetrics(database.db);
  yoga = createRegistryYoga({ db: database.db, logger: createLogger('silent'), authorizer: headerAuthorizer, metrics });
});
afterAll(() => database?.close());
beforeEach(() => database.reset());

async function ask(query: string, variables: Record<string, unknown> = {}, principal = 'reader'): Promise<{ data?: any; errors?: any[]; sent: number }> {
  statements.length = 0;
  const response = await yoga.fetch('http://registry.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-test-principal': principal },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: any[] };
  return { ...body, sent: statements.length };
}

const REGISTER = 'mutation($m: JSON!) { register(metadata: $m) { uuid } }';
const UPDATE = 'mutation($u: UUID!, $p: JSON!) { update(uuid: $u, patch: $p) { revision } }';
const register = (fields: Parameters<typeof metadata>[0]) => ask(REGISTER, { m: metadata(fields) }, 'writer');

describe('response cache', () => {
  it('answers a repeated query without the database, and counts the hit', async () => {
    await register({ name: 'cached', version: '1.0.0' });
    const first = await ask('{ component(name: "cached") { version } }');
    const second = await ask('{ component(name: "cached") { version } }');
    expect(first.sent).toBeGreaterThan(0);
    expect(second).toEqual({ data: first.data, sent: 0 });
    const text = await metrics.registry.metrics();
    expect(Number(/^registry_cache_hit_ratio (\S+)$/m.exec(text)?.[1])).toBeGreaterThan(0);
  });

  it('keeps every answer through a dry run, which writes nothing, and drops them after the real write', async () => {
    await register({ name: 'base', version: '1.0.0', tags: ['shared'] });
    const search = '{ search(tags: ["shared"]) { totalCount } }';
    const byRange = '{ component(name: "base", versionSpec: "^1") { version } }';
    for (const query of [search, byRange]) await ask(query);
    const document = metadata({ name: 'base', version: '1.1.0', tags: ['shared'] });
    const dry = await ask('mutation($m: JSON!) { register(metadata: $m, dryRun: true) { dryRun impact { moved } } }', { m: document }, 'writer');
    expect(dry.data.register).toEqual({ dryRun: true, impact: { moved: 0 } });
    expect(await ask(search)).toEqual({ data: { search: { totalCount: 1 } }, sent: 0 });
    expect(await ask(byRange)).toEqual({ data: { component: { version: '1.0.0' } }, sent: 0 });
    await ask(REGISTER, { m: document }, 'writer');
    expect((await ask(search)).data.search.totalCount).toBe(2);
    expect((await ask(byRange)).data.component.version).toBe('1.1.0');
  });

  it('never serves an answer from before a write: ranges, search and dependents move at once', async () => {
    await register({ name: 'base', version: '1.0.0', tags: ['shared'] });
    const byRange = '{ component(name: "base", versionSpec: "^1") { version } }';
    const search = '{ search(tags: ["shared"]) { totalCount } }';
    const dependents = '{ component(name: "base", versionSpec: "1.0.0") { dependents { name } } }';
    for (const query of [byRange, search, dependents]) await ask(query);
    await register({ name: 'base', version: '1.1.0', tags: ['shared'] });
    await register({ name: 'user', dependencies: [{ name: 'base', version_spec: '~1.0.0' }] });
    expect((await ask(byRange)).data.component.version).toBe('1.1.0');
    expect((await ask(search)).data.search.totalCount).toBe(2);
    expect((await ask(dependents)).data.component.dependents).toEqual([{ name: 'user' }]);
  });

  it('sees an update, and a reset of the tables behind its back', async () => {
    const { data } = await register({ name: 'patched', description: 'before' });
    const query = `{ component(uuid: "${data.register.uuid}") { description } }`;
    expect((await ask(query)).data.component.description).toBe('before');
    await ask(UPDATE, { u: data.register.uuid, p: { description: 'after' } }, 'writer');
    expect((await ask(query)).data.component.description).toBe('after');
    await database.reset();
    expect((await ask(query)).data.component).toBeNull();
  });

  it('keeps no answer with errors', async () => {
    const query = '{ component(name: "x", versionSpec: "not a range") { uuid } }';
    const first = await ask(query);
    const second = await ask(query);
    expect(first.errors?.[0].extensions.code).toBe('INVALID_VERSION_SPEC');
    expect(second.errors?.[0].extensions.code).toBe('INVALID_VERSION_SPEC');
    expect(second.sent).toBe(first.sent);
  });

  it("never gives one principal another's answer, nor any answer to a principal without REGISTRY_READ", async () => {
    await register({ name: 'private' });
    const query = '{ component(name: "private") { name } }';
    await ask(query, {}, 'reader');
    expect((await ask(query, {}, 'reader')).sent).toBe(0);
    const other = await ask(query, {}, 'other');
    expect(other.sent).toBeGreaterThan(0);
    expect(other.data.component.name).toBe('private');
    const refused = await ask(query, {}, 'writeOnly');
    expect(refused.data?.component ?? null).toBeNull();
    expect(refused.errors?.[0].extensions.code).toBe('FORBIDDEN');
  });

  it('runs every query when turned off', async () => {
    const uncached = createRegistryYoga({ db: database.db, logger: createLogger('silent'), authorizer: headerAuthorizer, responseCache: false });
    const post = async () => {
      statements.length = 0;
      await uncached.fetch('http://registry.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ search { totalCount } }' }),
      });
      return statements.length;
    };
    await post();
    expect(await post()).toBeGreaterThan(0);
  });

  it('keeps only as many answers as it was given room for', async () => {
    const head = databaseHead(database.db);
    const cache = createResponseCache({ head, maxEntries: 2 });
    const small = createRegistryYoga({ db: database.db, logger: createLogger('silent'), authorizer: headerAuthorizer, head, responseCache: { maxEntries: 2 } });
    for (let index = 0; index < 3; index += 1) await register({ name: `kept-${index}` });
    const lookup = async (name: string) => {
      statements.length = 0;
      await small.fetch('http://registry.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `{ component(name: "${name}") { name } }` }),
      });
      return statements.length;
    };
    for (const name of ['kept-0', 'kept-1', 'kept-2']) await lookup(name);
    expect(await lookup('kept-2')).toBe(0);
    expect(await lookup('kept-0')).toBeGreaterThan(0); // pushed out by the newest two
    expect(cache.stats()).toEqual({ hits: 0, misses: 0, entries: 0 });
    await cache.close();
  });
});

describe('boundedSize', () => {
  it('measures a JSON value roughly, and gives up past the limit', () => {
    expect(boundedSize({ a: 'xy', b: [1, null, true] }, 1000)).toBeGreaterThan(10);
    expect(boundedSize({ list: Array.from({ length: 1000 }, () => 'entry') }, 500)).toBe(Infinity);
  });
});

describe('OMNIBASE_RESPONSE_CACHE_ENTRIES', () => {
  it('defaults, takes a whole number, and names what is wrong otherwise', () => {
    expect(cacheEntriesFromEnv({})).toBe(DEFAULT_CACHE_ENTRIES);
    expect(cacheEntriesFromEnv({ OMNIBASE_RESPONSE_CACHE_ENTRIES: '0' })).toBe(0);
    expect(cacheEntriesFromEnv({ OMNIBASE_RESPONSE_CACHE_ENTRIES: ' 500 ' })).toBe(500);
    expect(() => cacheEntriesFromEnv({ OMNIBASE_RESPONSE_CACHE_ENTRIES: 'lots' })).toThrow(
      'OMNIBASE_RESPONSE_CACHE_ENTRIES must be a whole number of entries, 0 to turn the cache off (got "lots")',
    );
  });
});
