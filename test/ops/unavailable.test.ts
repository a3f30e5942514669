import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.js';
import { createLogger } from '../../src/logger.js';
import { isDatabaseUnavailable } from '../../src/server/errors.js';
import { createRegistryYoga } from '../../src/server/yoga.js';
import { freshTarget, migratedDatabase, testEngine } from '../support/database.js';
import { freePort } from './support.js';

describe('what counts as the database being unavailable', () => {
  const wrapped = (cause: unknown) => Object.assign(new Error('outer'), { cause });

  it.each([
    ['pg: the server went away mid-query', new Error('Connection terminated unexpectedly')],
    ['pg: a client whose connection failed earlier', new Error('Client has encountered a connection error and is not queryable')],
    ['pg-pool: no connection within the connect timeout', new Error('timeout exceeded when trying to connect')],
    ['pg: connect refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['pg: host unreachable', Object.assign(new Error('connect EHOSTUNREACH 10.0.0.9:5432'), { code: 'EHOSTUNREACH' })],
    ['PostgreSQL: shutting down (57P01)', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })],
    ['PostgreSQL: starting up (57P03)', Object.assign(new Error('the database system is starting up'), { code: '57P03' })],
    ['Prisma: cannot reach the server (P1001)', Object.assign(new Error("Can't reach database server"), { code: 'P1001' })],
    ['Prisma: no pooled connection in time (P2024)', Object.assign(new Error('Timed out fetching a new connection'), { code: 'P2024' })],
    ["Prisma's pg adapter: DatabaseNotReachable", wrapped({ kind: 'DatabaseNotReachable', host: 'db', port: 5432 })],
    ["Prisma's pg adapter: ConnectionClosed", wrapped({ kind: 'ConnectionClosed' })],
    ["Prisma's pg adapter: 57P01 as a postgres error", wrapped({ kind: 'postgres', code: '57P01', message: 'terminating connection' })],
    [
      "Prisma's raw query failure (P2010) carrying the adapter's error",
      Object.assign(new Error('Raw query failed'), { code: 'P2010', meta: { driverAdapterError: { name: 'DriverAdapterError', cause: { kind: 'DatabaseNotReachable' } } } }),
    ],
    ['PGlite closed', new Error('PGlite is closed')],
    ['a cause two levels down', wrapped(wrapped(new Error('Connection terminated unexpectedly')))],
  ])('%s', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' })],
    ["the adapter's unique violation", wrapped({ kind: 'UniqueConstraintViolation', constraint: { fields: ['name'] } })],
    ["a raw query's syntax error", Object.assign(new Error('Raw query failed'), { code: 'P2010', meta: { driverAdapterError: { cause: { kind: 'postgres', code: '42601' } } } })],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'uuid')")],
    ['not an error at all', 'ECONNREFUSED as a string'],
    ['null', null],
  ])('not %s', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });

  it('stops after ten causes, so a cycle of causes cannot hang it', () => {
    const looped: { message: string; cause?: unknown } = { message: 'a' };
    looped.cause = looped;
    expect(isDatabaseUnavailable(looped)).toBe(false);
  });
});

describe('with the database gone (in-process)', () => {
  it('GraphQL answers SERVICE_UNAVAILABLE, /readyz 503, /metrics still answers without the database count', async () => {
    // PGlite closed under the server; on PostgreSQL, a server that refuses connections (nothing listens on the port).
    let db: Database;
    if (testEngine === 'pglite') {
      const database = await migratedDatabase();
      await database.close();
      db = database.db;
    } else {
      db = await openDatabase({ engine: 'postgres', url: `postgresql://postgres@127.0.0.1:${await freePort()}/registry` });
    }
    const yoga = createRegistryYoga({ db, logger: createLogger('silent') });
    const get = (path: string) => yoga.fetch(`http://registry.test${path}`);

    const answer = await yoga.fetch('http://registry.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: '{ search(first: 1) { totalCount } }' }),
    });
    const body = await answer.json();
    expect(body.errors[0]).toMatchObject({ message: 'the registry database is unavailable; retry shortly', extensions: { code: 'SERVICE_UNAVAILABLE' } });

    const ready = await get('/readyz');
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'unavailable', reason: expect.stringMatching(/^database unreachable: /) });

    const metrics = await get('/metrics');
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toMatch(/^registry_operations_total\{operation="search",outcome="SERVICE_UNAVAILABLE"\} 1$/m);
    expect(text).toContain('# TYPE registry_db_pool_connections gauge');
    expect(text).not.toContain('registry_total_components{');
    expect(text.endsWith('\n')).toBe(true);
    if (testEngine === 'postgres') await db.close();
  });
});

describe.runIf(testEngine === 'postgres')('pool connections that die (PostgreSQL)', () => {
  it('a connection killed while checked out between two queries does not crash the process; the next query says why', async () => {
    const fresh = await freshTarget();
    const db = await openDatabase(fresh.target, { poolSize: 2 });
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    try {
      const failure = await db.withSession(async (session) => {
        const [{ pid }] = (await session.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')) as [{ pid: number }];
        // Killed while idle in our hands: pg emits 'error' on the client, which would be fatal without a listener.
        await admin.query('SELECT pg_terminate_backend($1)', [pid]);
        await new Promise((resolve) => setTimeout(resolve, 200));
        return session.query('SELECT 1').then(
          () => undefined,
          (error: unknown) => error,
        );
      });
      expect(failure).toBeInstanceOf(Error);
      expect(isDatabaseUnavailable(failure)).toBe(true);
      // The pool replaced the broken connection: the next statement works.
      expect(await db.query<{ one: number }>('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await admin.end();
      await db.close();
      await fresh.dispose();
    }
  });
});
