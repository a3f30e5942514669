import fc from 'fast-check';
import { createClient, type Client } from 'graphql-sse';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { tokenAuthorizer } from '../../src/auth/authorizer.js';
import { CAPABILITIES } from '../../src/auth/principal.js';
import { createToken, revokeToken } from '../../src/auth/tokens.js';
import { LISTENER_APPLICATION_NAME } from '../../src/db/database.js';
import { createLogger } from '../../src/logger.js';
import { createChangeStreams, streamsPerPrincipalFromEnv, DEFAULT_STREAMS_PER_PRINCIPAL, STREAM_PAGE } from '../../src/server/change-stream.js';
import { listen, type RunningServer } from '../../src/server/http.js';
import { cli, cliDatabase, setEnv, tempDir } from '../cli/helpers.js';
import { killChildren, startOmnibase } from '../cli/processes.js';
import { migratedDatabase, testEngine, type MigratedDatabase } from '../support/database.js';
import { committedSequences as feedSequences } from '../support/feed.js';
import { metadata } from '../support/registry.js';

const SUBSCRIBE = `subscription($after: String) {
  changes(after: $after) { sequence kind uuid revision component { uuid revision description } }
}`;

interface StreamedChange {
  sequence: string;
  kind: string;
  uuid: string;
  revision: number;
  component: { uuid: string; revision: number; description: string | null };
}

interface StreamError {
  message: string;
  extensions?: Record<string, unknown>;
}

/** One subscriber over real HTTP, as graphql-sse's client (the "distinct connections" mode) sees the stream. */
interface Subscriber {
  readonly received: StreamedChange[];
  readonly errors: StreamError[];
  completed(): boolean;
  close(): void;
}

let database: MigratedDatabase;
let server: RunningServer;
const clients: Client[] = [];
const LIMIT = 3;

function subscribe(url: string, after: string | null, token?: string): Subscriber {
  const client = createClient({ url, retryAttempts: 0, headers: token ? { authorization: `Bearer ${token}` } : {} });
  clients.push(client);
  const received: StreamedChange[] = [];
  const errors: StreamError[] = [];
  let completed = false;
  const dispose = client.subscribe<{ changes: StreamedChange }>(
    { query: SUBSCRIBE, variables: { after } },
    {
      next: (result) => {
        if (result.errors) errors.push(...(result.errors as unknown as StreamError[]));
        else received.push(result.data!.changes);
      },
      error: (error) => errors.push({ message: String(error) }),
      complete: () => (completed = true),
    },
  );
  return {
    received,
    errors,
    completed: () => completed,
    close() {
      dispose();
      client.dispose();
    },
  };
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function graphql(url: string, query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data?: any; errors?: unknown[] };
  expect(body.errors).toBeUndefined();
  return body.data;
}

const register = (url: string, fields: Parameters<typeof metadata>[0] = {}) =>
  graphql(url, 'mutation($m: JSON!) { register(metadata: $m) { uuid } }', { m: metadata({ name: `c-${Math.random().toString(36).slice(2, 10)}`, ...fields }) }).then(
    (data) => data.register.uuid as string,
  );

const committedSequences = (url: string) => feedSequences((query, variables) => graphql(url, query, variables));

async function openStreams(url: string): Promise<number> {
  const text = await (await fetch(url.replace(/\/graphql$/, '/metrics'))).text();
  return Number(/^registry_open_streams (\d+)$/m.exec(text)![1]);
}

beforeAll(async () => {
  database = await migratedDatabase();
  server = await listen({
    db: database.db,
    logger: createLogger('silent'),
    port: 0,
    host: '127.0.0.1',
    authorizer: tokenAuthorizer({ db: database.db, anonymous: new Set(CAPABILITIES) }),
    streamsPerPrincipal: LIMIT,
  });
});

afterAll(async () => {
  for (const client of clients) client.dispose();
  await server?.close();
  await database?.close();
});

beforeEach(async () => {
  for (const client of clients.splice(0)) client.dispose();
  await until(async () => (await openStreams(server.url)) === 0, 'the streams of the last test to close');
  await database.reset();
});

describe('subscription { changes }', () => {
  it('replays after the cursor, then sends each write as it commits, with the component as it is at that event', async () => {
    const first = await register(server.url, { version: '1.0.0' });
    await register(server.url, { version: '1.1.0' });
    const [firstSequence] = await committedSequences(server.url);

    const stream = subscribe(server.url, firstSequence!);
    await until(() => stream.received.length === 1, 'the replay');
    expect(stream.received[0]).toMatchObject({ sequence: '2', kind: 'REGISTERED', revision: 1 });

    await graphql(server.url, 'mutation($u: UUID!) { update(uuid: $u, patch: { description: "one" }) { revision } }', { u: first });
    await until(() => stream.received.length === 2, 'the first update');
    await graphql(server.url, 'mutation($u: UUID!) { update(uuid: $u, patch: { description: "two" }) { revision } }', { u: first });
    await until(() => stream.received.length === 3, 'the second update');
    // Each event reads the component afresh: the second update is not answered from the first event's loader.
    expect(stream.received.slice(1)).toEqual([
      { sequence: '3', kind: 'UPDATED', uuid: first, revision: 2, component: { uuid: first, revision: 2, description: 'one' } },
      { sequence: '4', kind: 'UPDATED', uuid: first, revision: 3, component: { uuid: first, revision: 3, description: 'two' } },
    ]);
    expect(stream.errors).toEqual([]);
    expect(await openStreams(server.url)).toBe(1);
    stream.close();
    await until(async () => (await openStreams(server.url)) === 0, 'the stream to close with its client');
  });

  it('replays a feed longer than one read page in order, then goes live', async () => {
    const documents = Array.from({ length: STREAM_PAGE + 20 }, (_, index) => metadata({ name: `bulk-${index}` }));
    await graphql(server.url, 'mutation($m: [JSON!]!) { registerMany(metadata: $m) { registered } }', { m: documents });
    const stream = subscribe(server.url, null);
    await until(() => stream.received.length === documents.length, 'the replay of every change');
    await register(server.url);
    await until(() => stream.received.length === documents.length + 1, 'the live change');
    expect(stream.received.map((change) => change.sequence)).toEqual(await committedSequences(server.url));
  });

  it(`holds at most ${LIMIT} streams per principal, refusing the next with TOO_MANY_STREAMS until one closes`, async () => {
    const streams = Array.from({ length: LIMIT }, () => subscribe(server.url, null));
    await until(async () => (await openStreams(server.url)) === LIMIT, 'every stream to open');
    await register(server.url);
    await until(() => streams.every((stream) => stream.received.length === 1), 'every stream to receive the write');

    const refused = subscribe(server.url, null);
    await until(() => refused.errors.length > 0, 'the refusal');
    expect(refused.errors).toEqual([
      expect.objectContaining({
        message:
          `anonymous requests already hold ${LIMIT} open change streams, the most this server allows one principal ` +
          '(OMNIBASE_STREAMS_PER_PRINCIPAL); close one, or poll the changes query',
        extensions: expect.objectContaining({ code: 'TOO_MANY_STREAMS', limit: LIMIT }),
      }),
    ]);
    expect(refused.received).toEqual([]);
    expect(await openStreams(server.url)).toBe(LIMIT);

    // Another principal has a limit of its own.
    const { token } = await createToken(database.db, { name: 'reader', capabilities: ['REGISTRY_READ'] });
    const other = subscribe(server.url, null, token);
    await until(() => other.received.length === 1, "the other principal's replay");

    streams[0]!.close();
    await until(async () => (await openStreams(server.url)) === LIMIT, 'the closed stream to be released');
    const again = subscribe(server.url, null);
    await until(() => again.received.length === 1, 'a stream in the freed place');
    expect(again.errors).toEqual([]);
  });

  it('checks REGISTRY_READ as the stream opens, and refuses a cursor that is not one', async () => {
    const { token } = await createToken(database.db, { name: 'writer only', capabilities: ['REGISTRY_WRITE'] });
    const forbidden = subscribe(server.url, null, token);
    const badCursor = subscribe(server.url, 'yesterday');
    await until(() => forbidden.errors.length > 0 && badCursor.errors.length > 0, 'both refusals');
    expect(forbidden.errors[0]).toMatchObject({ extensions: { code: 'FORBIDDEN', requiredCapability: 'REGISTRY_READ' } });
    expect(badCursor.errors[0]).toMatchObject({
      message: 'after must be a cursor returned by changes (got "yesterday")',
      extensions: { code: 'BAD_USER_INPUT', argument: 'after' },
    });
    expect(await openStreams(server.url)).toBe(0);
  });

  it('never skips nor repeats a change when the subscriber drops and resumes with its last cursor, whatever the timing', async () => {
    const step = fc.oneof(
      fc.record({ write: fc.integer({ min: 1, max: 4 }) }),
      fc.record({ reconnect: fc.constant(true), pause: fc.integer({ min: 0, max: 15 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), async (steps) => {
        await database.reset();
        const received: string[] = [];
        let stream = subscribe(server.url, null);
        const resume = () => {
          // Only what arrived counts: the resumed stream starts after the last change this client holds.
          received.push(...stream.received.map((change) => change.sequence));
          stream.close();
          stream = subscribe(server.url, received.at(-1) ?? null);
        };
        const writes: Array<Promise<unknown>> = [];
        for (const next of steps) {
          if ('write' in next) writes.push(...Array.from({ length: next.write }, () => register(server.url)));
          else {
            await new Promise((resolve) => setTimeout(resolve, next.pause));
            resume();
          }
        }
        await Promise.all(writes);
        const committed = await committedSequences(server.url);
        await until(() => (stream.received.at(-1)?.sequence ?? received.at(-1)) === committed.at(-1), 'the stream to catch up');
        received.push(...stream.received.map((change) => change.sequence));
        stream.close();
        expect(received).toEqual(committed);
      }),
      { numRuns: 12 },
    );
  });

  it('completes every open stream at once when the server drains, and opens none after', async () => {
    const draining = await listen({
      db: database.db,
      logger: createLogger('silent'),
      port: 0,
      host: '127.0.0.1',
      authorizer: tokenAuthorizer({ db: database.db, anonymous: new Set(CAPABILITIES) }),
      shutdownTimeoutMs: 30_000,
    });
    const streams = [subscribe(draining.url, null), subscribe(draining.url, null)];
    await until(async () => (await openStreams(draining.url)) === 2, 'both streams to open');
    const started = Date.now();
    expect(await draining.close()).toEqual({ inFlight: 2, forced: false });
    expect(Date.now() - started).toBeLessThan(5_000);
    await until(() => streams.every((stream) => stream.completed()), 'both streams to complete');
    for (const stream of streams) expect(stream.errors).toEqual([]);
  });
});

describe.runIf(testEngine === 'postgres')('on PostgreSQL', () => {
  it('replaces a lost LISTEN connection and misses nothing committed while it was away', async () => {
    const stream = subscribe(server.url, null);
    const uuid = await register(server.url);
    await until(() => stream.received.length === 1, 'the first change');
    const listeners = () =>
      database.db.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()', [
        LISTENER_APPLICATION_NAME,
      ]);
    const [{ pid }] = (await listeners()) as [{ pid: number }];
    // The listener is gone, and the replacement waits at least 0.1 s: a feed row written in the next round trip
    // commits while nothing listens, so its notification is lost and only the re-LISTEN can make up for it.
    await database.db.query('SELECT pg_terminate_backend($1)', [pid]);
    await database.db.query(`INSERT INTO changes (kind, component_uuid, revision) VALUES ('UPDATED', $1, 1)`, [uuid]);
    await until(() => stream.received.length === 2, 'the change committed during the outage');
    await until(async () => (await listeners()).some((row) => row.pid !== pid), 'a new listener');
    await register(server.url);
    await until(() => stream.received.length === 3, 'a change after the reconnection');
    expect(stream.received.map((change) => change.sequence)).toEqual(await committedSequences(server.url));
  });

  it('delivers concurrent writers exactly in commit order', async () => {
    const stream = subscribe(server.url, null);
    await Promise.all(Array.from({ length: 8 }, async () => {
      for (let i = 0; i < 15; i += 1) await register(server.url);
    }));
    const committed = await committedSequences(server.url);
    await until(() => stream.received.length >= committed.length, 'every change');
    expect(stream.received.map((change) => change.sequence)).toEqual(committed);
  });
});

describe('the change streams of one instance', () => {
  const reader = { id: 'reader', name: 'reader', anonymous: false, capabilities: new Set(['REGISTRY_READ'] as const) };

  it('end the streams of a token revoked after they opened, and no others', async () => {
    const { record } = await createToken(database.db, { name: 'soon revoked', capabilities: ['REGISTRY_READ'] });
    const holder = { id: record.id, name: record.name, anonymous: false, capabilities: new Set(['REGISTRY_READ'] as const) };
    const streams = createChangeStreams({ db: database.db, revocationCheckMs: 50 });
    try {
      const revoked = streams.open(holder, 0n);
      const kept = streams.open(reader, 0n);
      const ended = revoked.next();
      await revokeToken(database.db, record.id);
      expect(await ended).toEqual({ done: true, value: undefined });
      expect(streams.openCount()).toBe(1);
      const next = kept.next();
      await register(server.url);
      expect((await next).value).toMatchObject({ kind: 'REGISTERED' });
    } finally {
      await streams.close();
    }
  });

  it('end a stream whose read fails, releasing its place, and refuse new ones once closed', async () => {
    const broken = await migratedDatabase();
    const streams = createChangeStreams({ db: broken.db, perPrincipal: 1 });
    const stream = streams.open(reader, 0n);
    await broken.close();
    await expect(stream.next()).rejects.toThrow();
    expect(streams.openCount()).toBe(0);
    expect(await stream.next()).toEqual({ done: true, value: undefined });

    await streams.close();
    expect(() => streams.open(reader, 0n)).toThrow(
      expect.objectContaining({
        code: 'SERVICE_UNAVAILABLE',
        message: 'the server is shutting down and opens no change streams; resume with your last cursor in a moment',
      }),
    );
  });
});

describe('omnibase serve with open change streams, then SIGTERM (subprocess)', () => {
  afterAll(() => killChildren());

  it('completes every stream and exits 0 at once, far within the shutdown bound', async () => {
    const target = await cliDatabase();
    const config = await tempDir('omnibase-stream-config-');
    try {
      const env = { ...target.env, OMNIBASE_CONFIG_DIR: config.dir, OMNIBASE_SHUTDOWN_TIMEOUT_MS: '60000' };
      const serve = startOmnibase(['serve', '--port', '0', ...(testEngine === 'postgres' ? ['--migrate'] : [])], env);
      const url = await serve.listening;
      const streams = [subscribe(url, null), subscribe(url, null)];
      await until(async () => (await openStreams(url)) === 2, 'both streams to open');
      const started = Date.now();
      serve.child.kill('SIGTERM');
      expect(await serve.exited).toBe(0);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(serve.logs().find((entry) => entry.msg?.startsWith('draining'))).toMatchObject({ streams: 2 });
      expect(serve.logs().find((entry) => entry.msg === 'drained')).toMatchObject({ forced: false });
      await until(() => streams.every((stream) => stream.completed()), 'both streams to complete');
      expect(serve.stderr()).toBe('');
    } finally {
      await config.remove();
      await target.dispose();
    }
  }, 120_000);
});

describe('OMNIBASE_STREAMS_PER_PRINCIPAL', () => {
  it('defaults to 10 and takes a whole number, 0 refusing every stream', () => {
    expect(streamsPerPrincipalFromEnv({})).toBe(DEFAULT_STREAMS_PER_PRINCIPAL);
    expect(DEFAULT_STREAMS_PER_PRINCIPAL).toBe(10);
    expect(streamsPerPrincipalFromEnv({ OMNIBASE_STREAMS_PER_PRINCIPAL: ' 25 ' })).toBe(25);
    expect(streamsPerPrincipalFromEnv({ OMNIBASE_STREAMS_PER_PRINCIPAL: '0' })).toBe(0);
    for (const bad of ['-1', 'many', '1.5']) {
      expect(() => streamsPerPrincipalFromEnv({ OMNIBASE_STREAMS_PER_PRINCIPAL: bad })).toThrow(
        `OMNIBASE_STREAMS_PER_PRINCIPAL must be a whole number of open change streams per token, 0 to refuse them all (got "${bad}")`,
      );
    }
  });

  it('omnibase serve refuses a bad value with exit 2 before opening the database', async () => {
    const restore = setEnv({ OMNIBASE_STREAMS_PER_PRINCIPAL: 'lots', DATABASE_URL: 'postgresql://127.0.0.1:1/never-opened' });
    try {
      expect(await cli('serve', '--port', '0')).toEqual({
        code: 2,
        stdout: '',
        stderr: 'error: OMNIBASE_STREAMS_PER_PRINCIPAL must be a whole number of open change streams per token, 0 to refuse them all (got "lots")\n',
      });
    } finally {
      restore();
    }
  });
});
