import { connect, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { listen, type RunningServer } from '../../src/server/http.js';
import { DEFAULT_SHUTDOWN_TIMEOUT_MS, shutdownTimeoutFromEnv } from '../../src/server/shutdown.js';
import { cli, cliDatabase, setEnv, type CliDatabase } from '../cli/helpers.js';
import { migratedDatabase, testEngine, type MigratedDatabase } from '../support/database.js';
import { metadata } from '../support/registry.js';
import { heldRequest } from './held-request.js';
import { killChildren, startOmnibase } from '../cli/processes.js';
import { authorization, graphqlClient, httpRequest, sleep, tempDir, within, type HttpResult } from './support.js';

const READ = { query: '{ search(first: 5) { totalCount edges { node { name version } } } }' };

describe('shutdown timeout setting', () => {
  it('defaults to 10 s and takes whole milliseconds from OMNIBASE_SHUTDOWN_TIMEOUT_MS', () => {
    expect(DEFAULT_SHUTDOWN_TIMEOUT_MS).toBe(10_000);
    expect(shutdownTimeoutFromEnv({})).toBe(10_000);
    expect(shutdownTimeoutFromEnv({ OMNIBASE_SHUTDOWN_TIMEOUT_MS: ' ' })).toBe(10_000);
    expect(shutdownTimeoutFromEnv({ OMNIBASE_SHUTDOWN_TIMEOUT_MS: '2500' })).toBe(2500);
    expect(shutdownTimeoutFromEnv({ OMNIBASE_SHUTDOWN_TIMEOUT_MS: '0' })).toBe(0);
  });

  it.each([['10s'], ['-1'], ['1.5'], ['ten']])('refuses OMNIBASE_SHUTDOWN_TIMEOUT_MS=%s naming the variable', (value) => {
    expect(() => shutdownTimeoutFromEnv({ OMNIBASE_SHUTDOWN_TIMEOUT_MS: value })).toThrow(
      `OMNIBASE_SHUTDOWN_TIMEOUT_MS must be a whole number of milliseconds, e.g. 10000 (got "${value}")`,
    );
  });

  it('omnibase serve refuses a bad value with exit 2 before opening the database', async () => {
    const restore = setEnv({ OMNIBASE_SHUTDOWN_TIMEOUT_MS: 'soon', DATABASE_URL: 'postgresql://127.0.0.1:1/never-opened' });
    try {
      expect(await cli('serve', '--port', '0')).toEqual({
        code: 2,
        stdout: '',
        stderr: 'error: OMNIBASE_SHUTDOWN_TIMEOUT_MS must be a whole number of milliseconds, e.g. 10000 (got "soon")\n',
      });
    } finally {
      restore();
    }
  });
});

describe('draining the HTTP server (in-process)', () => {
  let database: MigratedDatabase;
  let running: RunningServer | undefined;
  beforeAll(async () => {
    database = await migratedDatabase();
  });
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });
  afterAll(() => database?.close());

  const start = async (shutdownTimeoutMs?: number) => {
    running = await listen({ db: database.db, logger: createLogger('silent'), port: 0, host: '127.0.0.1', shutdownTimeoutMs });
    return running;
  };

  it('finishes a request in flight, marks its response Connection: close, and then refuses connections', async () => {
    const server = await start();
    const held = heldRequest(server.url, READ);
    await held.started;
    const closed = server.close();
    expect(server.close()).toBe(closed); // a second call joins the same drain
    held.finish();
    const answer = await held.response;
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ data: { search: { totalCount: 0, edges: [] } } });
    expect(answer.headers.connection).toBe('close');
    expect(await closed).toEqual({ inFlight: 1, forced: false });
    await expect(httpRequest(server.url.replace('/graphql', '/healthz'))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('answers /readyz with 503 "shutting down" on a connection still open during the drain', async () => {
    const server = await start();
    const serverSockets: Socket[] = [];
    server.server.on('connection', (socket: Socket) => serverSockets.push(socket));
    const held = heldRequest(server.url, READ); // keeps the drain going until finished
    await held.started;

    const { port } = new URL(server.url);
    const client = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => client.once('connect', resolve));
    let received = '';
    client.on('data', (chunk) => (received += chunk.toString()));
    const partial = 'GET /readyz HTTP/1.1\r\nhost: registry\r\n';
    client.write(partial);
    // The request has begun once the server read its first line: the connection is busy, not idle, so the drain keeps it.
    while (!serverSockets.some((socket) => socket.bytesRead >= partial.length)) await sleep(10);

    const closed = server.close();
    client.write('\r\n');
    await new Promise((resolve) => client.once('end', resolve));
    expect(received).toMatch(/^HTTP\/1\.1 503 /);
    expect(received.toLowerCase()).toContain('connection: close');
    expect(received.slice(received.indexOf('\r\n\r\n') + 4)).toBe('{"status":"unavailable","reason":"shutting down"}');
    held.finish();
    expect((await held.response).status).toBe(200);
    expect(await closed).toEqual({ inFlight: 1, forced: false }); // the /readyz request began after the drain did
  });

  it('closes what is still running when the bound runs out', async () => {
    const server = await start(200);
    const held = heldRequest(server.url, READ); // its body never comes
    await held.started;
    expect(await within(server.close(), 30_000, 'bounded drain')).toEqual({ inFlight: 1, forced: true });
    await expect(held.response).rejects.toThrow(/socket hang up|ECONNRESET/);
  });
});

describe('omnibase serve under load, then SIGTERM (subprocess)', () => {
  let database: CliDatabase;
  let config: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    database = await cliDatabase();
    config = await tempDir('omnibase-ops-config-');
  });
  afterAll(async () => {
    await killChildren();
    await database?.dispose();
    await config?.remove();
  });

  it('lets every request in flight finish, exits 0, and loses no acknowledged write', async () => {
    const env = { ...database.env, OMNIBASE_CONFIG_DIR: config.dir, OMNIBASE_SHUTDOWN_TIMEOUT_MS: '30000' };
    const serve = startOmnibase(['serve', '--port', '0', ...(testEngine === 'postgres' ? ['--migrate'] : [])], env);
    const url = await serve.listening;
    const graphql = graphqlClient(url, { ...process.env, ...env });

    // Requests known to be in flight when the signal arrives: their bodies are sent only afterwards.
    const auth = await authorization(url, { ...process.env, ...env });
    const heldWrites = Array.from({ length: 3 }, (_, index) =>
      heldRequest(url, { query: 'mutation($m: JSON!) { register(metadata: $m) { registered uuid } }', variables: { m: metadata({ name: `held-${index}`, version: '1.0.0' }) } }, auth),
    );
    const heldReads = Array.from({ length: 3 }, () => heldRequest(url, READ, auth));

    // Background load: each request on its own connection, writes and reads, until the server is gone.
    const acknowledged: string[] = [];
    const failures: Array<{ requestId: string; error: string }> = [];
    const answers: HttpResult[] = [];
    let stop = false;
    const loop = async (worker: number) => {
      for (let i = 0; !stop; i++) {
        const requestId = `load-${worker}-${i}`;
        const write = i % 2 === 0;
        const document = metadata({ name: `load-${worker}`, version: `1.0.${i}` });
        try {
          const answer = write
            ? await graphql('mutation($m: JSON!) { register(metadata: $m) { registered uuid } }', { m: document }, { 'x-request-id': requestId })
            : await graphql(READ.query, undefined, { 'x-request-id': requestId });
          answers.push(answer);
          if (write && answer.body?.data?.register?.registered) acknowledged.push(answer.body.data.register.uuid);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code ?? String(error);
          // Refused: the listener is closed, nothing reached the server; that is how a drained instance looks.
          if (code === 'ECONNREFUSED') break;
          failures.push({ requestId, error: code });
        }
      }
    };
    const workers = Array.from({ length: 6 }, (_, worker) => loop(worker));
    await Promise.all([...heldWrites, ...heldReads].map((held) => held.started));
    while (answers.length < 20) await sleep(20);

    serve.child.kill('SIGTERM');
    // The server logs the drain's start: only then is it certain the held requests were in flight during it.
    while (!serve.logs().some((entry) => entry.msg?.startsWith('draining'))) await sleep(10);
    for (const held of [...heldWrites, ...heldReads]) held.finish();
    const held = await Promise.all([...heldWrites, ...heldReads].map((request) => request.response));
    expect(await within(serve.exited, 60_000, 'shutdown')).toBe(0);
    stop = true;
    await Promise.all(workers);

    for (const answer of held) {
      expect(answer.status).toBe(200);
      expect(answer.body.errors).toBeUndefined();
      expect(answer.headers.connection).toBe('close');
    }
    for (const answer of held.slice(0, heldWrites.length)) acknowledged.push(answer.body.data.register.uuid);
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.body.errors).toBeUndefined();
    }
    // A reset is only acceptable for a connection the server never took up: it must not have handled the request.
    const handled = new Set(serve.logs().map((entry) => entry.requestId).filter(Boolean));
    for (const failure of failures) expect(handled.has(failure.requestId), `${failure.requestId} failed with ${failure.error} after the server handled it`).toBe(false);
    const drained = serve.logs().find((entry) => entry.msg === 'drained');
    expect(drained).toMatchObject({ forced: false });
    expect(drained!.inFlight).toBeGreaterThanOrEqual(6);
    expect(serve.stderr()).toBe('');

    // Started again on the same database: every acknowledged write is there.
    const again = startOmnibase(['serve', '--port', '0'], env);
    const againUrl = await again.listening;
    const read = graphqlClient(againUrl, { ...process.env, ...env });
    for (const uuid of acknowledged) {
      const found = await read(`{ component(uuid: "${uuid}") { uuid } }`);
      expect(found.body, uuid).toEqual({ data: { component: { uuid } } });
    }
    expect(acknowledged.length).toBeGreaterThanOrEqual(heldWrites.length);
    again.child.kill('SIGTERM');
    expect(await within(again.exited, 60_000, 'shutdown')).toBe(0);
  }, 240_000);
});
