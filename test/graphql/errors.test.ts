import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { createLogger } from '../../src/logger.js';
import { listen, type RunningServer } from '../../src/server/http.js';
import { createRegistryYoga } from '../../src/server/yoga.js';
import { freshTarget, testEngine, type TestDatabase } from '../support/database.js';
import { metadata, REGISTER, registryHarness, type RegistryHarness } from '../support/registry.js';
import { tokenAuthorizer } from '../../src/auth/authorizer.js';
import { CAPABILITIES } from '../../src/auth/principal.js';

async function post(fetchFn: (url: string, init: RequestInit) => Response | Promise<Response>, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetchFn('http://registry.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

describe('errors a client reads', () => {
  let registry: RegistryHarness;
  beforeAll(async () => {
    registry = await registryHarness();
  });
  afterAll(() => registry.close());

  it('graphql-js errors carry BAD_USER_INPUT and name what was wrong', async () => {
    const unknownField = await registry.graphql('{ components { uuid } }');
    expect(unknownField.errors![0]).toMatchObject({
      message: 'Cannot query field "components" on type "Query". Did you mean "component"?',
      extensions: { code: 'BAD_USER_INPUT' },
    });
    const wrongVariable = await registry.graphql('query($u: UUID!) { component(uuid: $u) { name } }', { u: 42 });
    expect(wrongVariable.errors![0]!.extensions.code).toBe('BAD_USER_INPUT');
    expect(wrongVariable.errors![0]!.message).toMatch(/\$u/);
  });

  it('echoes a sane x-request-id and makes one otherwise', async () => {
    const given = await post(registry.yoga.fetch, { query: '{ __typename }' }, { 'x-request-id': 'abc-123' });
    expect(given.headers.get('x-request-id')).toBe('abc-123');
    const made = await post(registry.yoga.fetch, { query: '{ __typename }' }, { 'x-request-id': 'has spaces and ✓' });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves GraphiQL at /graphql to a browser', async () => {
    const response = await registry.yoga.fetch('http://registry.test/graphql', { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('omnibase registry');
  });
});

describe('unexpected failures are masked and logged with the request id', () => {
  let unmigrated: TestDatabase;
  beforeAll(async () => {
    unmigrated = await freshTarget();
  });
  afterAll(() => unmigrated.dispose());

  it('answers INTERNAL_SERVER_ERROR with no SQL, and logs the cause under the same request id', async () => {
    const db = await openDatabase(unmigrated.target);
    const lines: string[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => lines.push(line) });
    const yoga = createRegistryYoga({ db, logger, authorizer: tokenAuthorizer({ db, anonymous: new Set(CAPABILITIES) }) });
    const result = await post(yoga.fetch, { query: REGISTER, variables: { metadata: metadata() } }, { 'x-request-id': 'req-42' });
    await db.close();
    const [error] = result.body.errors;
    expect(error.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', requestId: 'req-42' });
    expect(error.message).toBe('unexpected error; the server logged it as request req-42');
    expect(JSON.stringify(result.body)).not.toMatch(/components|relation|SELECT|INSERT/i);
    const logged = lines.map((line) => JSON.parse(line));
    expect(logged).toEqual([expect.objectContaining({ requestId: 'req-42', msg: 'unexpected error', err: expect.any(Object) })]);
  });
});

describe.runIf(testEngine === 'postgres')('a database that cannot be reached', () => {
  it('answers SERVICE_UNAVAILABLE', async () => {
    // Port 1 on loopback refuses connections: a real unreachable PostgreSQL.
    const db = await openDatabase({ engine: 'postgres', url: 'postgresql://postgres@127.0.0.1:1/none' });
    const yoga = createRegistryYoga({ db, logger: createLogger('silent') });
    const result = await post(yoga.fetch, { query: '{ component(name: "x") { uuid } }' });
    await db.close();
    expect(result.body.errors[0].extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(result.body.errors[0].message).toBe('the registry database is unavailable; retry shortly');
  });
});

describe('over HTTP', () => {
  let registry: RegistryHarness;
  let server: RunningServer;
  beforeAll(async () => {
    registry = await registryHarness();
    const authorizer = tokenAuthorizer({ db: registry.db, anonymous: new Set(CAPABILITIES) });
    server = await listen({ db: registry.db, logger: createLogger('silent'), port: 0, host: '127.0.0.1', authorizer });
  });
  afterAll(async () => {
    await server.close();
    await registry.close();
  });

  it('registers and reads back through a real socket', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    const document = metadata();
    const call = (query: string, variables: unknown) =>
      fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      }).then((response) => response.json());
    expect((await call(REGISTER, { metadata: document })).data.register.registered).toBe(true);
    const read = await call('query($u: UUID!) { component(uuid: $u) { name version } }', { u: document.uuid });
    expect(read).toEqual({ data: { component: { name: 'yaml-lint', version: '1.0.0' } } });
  });
});
