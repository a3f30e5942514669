import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenAuthorizer } from '../../src/auth/authorizer.js';
import { createToken } from '../../src/auth/tokens.js';
import { createLogger } from '../../src/logger.js';
import { listen, type RunningServer } from '../../src/server/http.js';
import { LIMITS } from '../../src/server/limits.js';
import { createRegistryYoga } from '../../src/server/yoga.js';
import { metadata, REGISTER } from '../support/registry.js';
import { migratedDatabase, type MigratedDatabase } from '../support/database.js';

interface Answer {
  status: number;
  body: { data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> } | undefined;
}

/**
 * Hostile requests against a real server over a real socket. Each must be turned away with a 4xx or a
 * GraphQL error naming what was wrong, and the server must keep serving after all of them.
 */
describe('a server under hostile input', () => {
  let database: MigratedDatabase;
  let server: RunningServer;
  let token: string;

  beforeAll(async () => {
    database = await migratedDatabase();
    ({ token } = await createToken(database.db, { name: 'hostile', capabilities: ['REGISTRY_READ', 'REGISTRY_WRITE'] }));
    const authorizer = tokenAuthorizer({ db: database.db, anonymous: new Set() });
    server = await listen({ db: database.db, logger: createLogger('silent'), port: 0, host: '127.0.0.1', authorizer });
  });
  afterAll(async () => {
    await server?.close();
    await database?.close();
  });

  async function send(body: string, headers: Record<string, string> = {}): Promise<Answer> {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}`, ...headers },
      body,
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }
  const query = (text: string, variables?: unknown) => send(JSON.stringify({ query: text, variables }));

  function refused(answer: Answer, message: RegExp, statuses: number[] = [200, 400]) {
    expect(statuses).toContain(answer.status);
    expect(answer.body?.data ?? null).toBeNull();
    expect(answer.body?.errors?.[0]?.message).toMatch(message);
  }

  it('refuses queries nested deeper than the limit', async () => {
    const nested = (levels: number): string => (levels === 0 ? 'uuid' : `dependencies { resolved { ${nested(levels - 1)} } }`);
    refused(await query(`{ component(name: "x") { ${nested(LIMITS.depth / 2)} } }`), /depth/i);
    // Fifteen hops of nested dependencies are within the limits.
    expect((await query(`{ component(name: "x") { ${nested(15)} } }`)).body).toEqual({ data: { component: null } });
  });

  it('refuses alias bombs', async () => {
    const aliases = Array.from({ length: LIMITS.aliases + 1 }, (_, i) => `a${i}: component(name: "x") { uuid }`).join(' ');
    refused(await query(`{ ${aliases} }`), /aliases/i);
  });

  it('refuses floods of tokens and directives', async () => {
    refused(await query(`{ ${'__typename '.repeat(LIMITS.tokens)} }`), /token/i);
    refused(await query(`{ __typename ${'@include(if: true) '.repeat(LIMITS.directives + 1)} }`), /directive/i);
  });

  it('refuses costly queries: fragments that fan out', async () => {
    // Each fragment spreads the next twice: 2^14 copies of the last one, from a few hundred bytes of text.
    const levels = 14;
    const fragments = Array.from({ length: levels }, (_, i) =>
      i === levels - 1 ? `fragment F${i} on Component { uuid }` : `fragment F${i} on Component { dependents { ...F${i + 1} } dependencies { resolved { ...F${i + 1} } } }`,
    ).join(' ');
    refused(await query(`{ component(name: "x") { ...F0 } } ${fragments}`), /cost/i);
  });

  it('refuses bodies over the size limit before reading them, and chunked bodies of unknown size', async () => {
    const huge = JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(LIMITS.bodyBytes) } });
    refused(await send(huge), /accepts at most/, [413]);
    const chunked = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(server.url, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } });
      request.on('response', (response) => {
        response.resume();
        resolve(response.statusCode!);
      });
      request.on('error', reject);
      request.write('{"query":');
      request.end('"{ __typename }"}');
    });
    expect(chunked).toBe(411);
  });

  it('refuses huge strings and lists where they are read', async () => {
    const big = metadata({ description: 'x'.repeat(LIMITS.metadataBytes) });
    refused(await query(REGISTER, { metadata: big }), /document is 256\.\d KiB; the limit is 256 KiB/);
    refused(await query('query($t: [String!]) { search(tags: $t) { totalCount } }', { t: Array.from({ length: 10_000 }, (_, i) => `t${i}`) }), /at most 64 tags/);
    // A literal page size weighs in the cost; one passed as a variable meets the resolver's cap.
    refused(await query('{ search(first: 100000) { totalCount } }'), /Query Cost limit/);
    refused(await query('query($n: Int) { search(first: $n) { totalCount } }', { n: 100_000 }), /first must be between 0 and 500/);
    refused(await query('query($n: Int) { changes(first: $n) { totalCount: __typename } }', { n: 100_000 }), /first must be between 0 and 1000/);
    refused(await query(`{ search(text: "${'y'.repeat(LIMITS.searchText + 1)}") { totalCount } }`), /text is limited/);
  });

  it('refuses batched requests, malformed JSON and wrong content types with 4xx', async () => {
    const batched = await send(JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]));
    expect(batched.status).toBeGreaterThanOrEqual(400);
    expect(batched.status).toBeLessThan(500);
    const malformed = await send('{"query": "{ __typename }"');
    expect(malformed.status).toBe(400);
    expect(malformed.body?.errors?.[0]?.message).toMatch(/JSON/);
    const text = await send('{ __typename }', { 'content-type': 'text/plain' });
    expect(text.status).toBeGreaterThanOrEqual(400);
    expect(text.status).toBeLessThan(500);
    const noQuery = await send(JSON.stringify({ variables: {} }), { accept: 'application/graphql-response+json' });
    expect(noQuery.status).toBe(400);
    expect(noQuery.body?.errors?.[0]?.message).toBe('Must provide query string.');
  });

  it('keeps serving afterwards', async () => {
    const document = metadata();
    expect((await query(REGISTER, { metadata: document })).body).toMatchObject({ data: { register: { registered: true } } });
    expect((await query(`{ component(uuid: "${document.uuid}") { name } }`)).body).toEqual({ data: { component: { name: 'yaml-lint' } } });
  });
});

describe('with introspection off', () => {
  it('hides the schema, GraphiQL and field suggestions', async () => {
    const database = await migratedDatabase();
    try {
      const yoga = createRegistryYoga({
        db: database.db,
        logger: createLogger('silent'),
        introspection: false,
        authorizer: tokenAuthorizer({ db: database.db, anonymous: new Set(['REGISTRY_READ']) }),
      });
      const post = async (text: string) => {
        const response = await yoga.fetch('http://registry.test/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ query: text }),
        });
        return (await response.json()) as { errors?: Array<{ message: string }> };
      };
      expect((await post('{ __schema { types { name } } }')).errors?.[0]?.message).toMatch(/introspection/i);
      const typo = await post('{ componnt(name: "x") { uuid } }');
      expect(typo.errors?.[0]?.message).toMatch(/Cannot query field "componnt"/);
      expect(JSON.stringify(typo)).not.toMatch(/did you mean/i);
      const page = await yoga.fetch('http://registry.test/graphql', { headers: { accept: 'text/html' } });
      expect(await page.text()).not.toMatch(/graphiql/i);
    } finally {
      await database.close();
    }
  });
});
