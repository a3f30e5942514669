import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngine } from '../support/database.js';
import { metadata } from '../support/registry.js';
import { killChildren, startOmnibase } from '../cli/processes.js';
import { graphqlClient, httpRequest, packageDir, PostgresInstance, postgresBinDir, sleep, tempDir, within, type HttpResult } from './support.js';

const binDir = postgresBinDir();
const REGISTER = 'mutation($m: JSON!) { register(metadata: $m) { registered uuid } }';
const READ = '{ search(first: 3) { totalCount } }';

// The test runs its own PostgreSQL (stopping the shared one would break everyone else's tests), once, in the
// PGlite project: the database under test is its own either way.
const title = binDir
  ? `losing PostgreSQL under load (own server from ${binDir})`
  : 'losing PostgreSQL under load — skipped: needs the PostgreSQL server binaries initdb and pg_ctl (PG_BIN, /usr/lib/postgresql/<version>/bin or PATH)';

interface Outcome {
  readonly phase: 'up' | 'down' | 'back';
  readonly kind: 'write' | 'read';
  readonly ms: number;
  readonly codes: string[];
  readonly uuid?: string;
}

describe.runIf(testEngine === 'pglite')(title, () => {
  let postgres: PostgresInstance;
  let config: Awaited<ReturnType<typeof tempDir>>;
  let stop = false;
  beforeAll(async () => {
    if (!binDir) return;
    postgres = await PostgresInstance.create(binDir);
    const admin = new pg.Client({ connectionString: postgres.url() });
    await admin.connect();
    await admin.query('CREATE DATABASE registry');
    await admin.end();
    config = await tempDir('omnibase-ops-config-');
  });
  afterAll(async () => {
    stop = true;
    await killChildren();
    await postgres?.dispose();
    await config?.remove();
  });

  it.runIf(binDir)('fails fast with SERVICE_UNAVAILABLE, stays up, recovers by itself, loses no acknowledged write', async () => {
    const env = { DATABASE_URL: postgres.url('registry'), OMNIBASE_DATA_DIR: undefined, OMNIBASE_CONFIG_DIR: config.dir };
    const serve = startOmnibase(['serve', '--port', '0', '--migrate'], env);
    const url = await serve.listening;
    const base = url.replace(/\/graphql$/, '');
    const graphql = graphqlClient(url, { ...process.env, ...env });

    let phase: Outcome['phase'] = 'up';
    const outcomes: Outcome[] = [];
    let paused = false;
    let busy = 0;
    const loop = async (worker: number, kind: Outcome['kind']) => {
      for (let i = 0; !stop; i++) {
        if (paused) {
          await sleep(10);
          continue;
        }
        const started = performance.now();
        const seenIn = phase;
        busy++;
        let answer: HttpResult;
        try {
          answer =
            kind === 'write'
              ? await graphql(REGISTER, { m: metadata({ name: `loss-${worker}`, version: `1.0.${i}` }) })
              : await graphql(READ);
        } catch (error) {
          // A transport failure is recorded, and fails the assertions below: the server must answer every request.
          answer = { status: 0, headers: {}, body: { errors: [{ extensions: { code: `transport ${(error as NodeJS.ErrnoException).code}` } }] } };
        } finally {
          busy--;
        }
        // The code matters, not the HTTP status: authentication, which reads tokens from the database, answers 503.
        const codes = (answer.body.errors ?? []).map((error: { extensions?: { code?: string } }) => error.extensions?.code ?? 'none');
        const uuid = answer.body.data?.register?.registered ? (answer.body.data.register.uuid as string) : undefined;
        outcomes.push({ phase: seenIn, kind, ms: performance.now() - started, codes, uuid });
        // While the database is away the clients would spin; a real client backs off too.
        if (codes.length) await sleep(20);
      }
    };
    const workers = [loop(0, 'write'), loop(1, 'write'), loop(2, 'write'), loop(3, 'read')];
    while (outcomes.filter((outcome) => outcome.uuid).length < 30) await sleep(20);

    // Requests certainly inside the database when it dies: they wait on a lock the test holds. The load pauses
    // meanwhile. Every request first reads the registry head, which reads components, and requests arriving
    // together share one such read: the lock's first waiter is that read, with all three requests behind it.
    paused = true;
    while (busy > 0) await sleep(10);
    const locker = new pg.Client({ connectionString: postgres.url('registry') });
    locker.on('error', () => {}); // its connection dies with the server, as intended
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE components IN ACCESS EXCLUSIVE MODE');
    const caught = [
      graphql(REGISTER, { m: metadata({ name: 'caught-in-crash', version: '1.0.0' }) }),
      graphql(REGISTER, { m: metadata({ name: 'caught-in-crash', version: '1.0.1' }) }),
      graphql(READ),
    ];
    for (;;) {
      const { rows } = await locker.query<{ waiting: number }>(
        "SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = 'registry'",
      );
      if (rows[0]!.waiting >= 1) break;
      await sleep(20);
    }

    // Crash the database: no checkpoint, connections cut; what was committed must come back from the WAL.
    await postgres.stop('immediate');
    const downAt = performance.now();
    phase = 'down';
    paused = false;
    while (outcomes.filter((outcome) => outcome.phase === 'down').length < 40) await sleep(20);

    for (const answer of await within(Promise.all(caught), 60_000, 'requests cut off mid-query')) {
      // Cut off in the head read, which authentication waits for, the answer is 503; later, 200 with the error.
      expect([200, 503]).toContain(answer.status);
      expect(answer.body.errors.map((error: { extensions: { code: string } }) => error.extensions.code)).toEqual(['SERVICE_UNAVAILABLE']);
      expect(answer.body.errors[0].message).toBe('the registry database is unavailable; retry shortly');
    }
    const metricsPage = await httpRequest(`${base}/metrics`);
    expect(metricsPage.status).toBe(200);
    // Refused while authenticating (which waits for the head read), a request has no operation yet: "invalid".
    expect(metricsPage.body).toMatch(/^registry_operations_total\{operation="[a-z]+",outcome="SERVICE_UNAVAILABLE"\} \d+$/m);
    expect(metricsPage.body).not.toContain('registry_total_components{'); // counted in the database, which is away

    const ready = await httpRequest(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: 'unavailable', reason: expect.stringMatching(/^database unreachable: /) });
    expect((await httpRequest(`${base}/healthz`)).status).toBe(200);
    const diagnosis = spawnSync('bash', [join(packageDir, 'runbooks/scripts/diagnose.sh'), base], { encoding: 'utf8' });
    expect(diagnosis.stdout).toContain('readyz: 503');
    expect(diagnosis.stdout).toContain('database unreachable');
    expect(diagnosis.status).toBe(1);
    expect(serve.child.exitCode).toBeNull();

    await postgres.start();
    const backAt = performance.now();
    phase = 'back';
    let firstSuccessMs: number | undefined;
    let readyMs: number | undefined;
    while (firstSuccessMs === undefined || readyMs === undefined) {
      if (firstSuccessMs === undefined) {
        const answer = await graphql(READ);
        if (answer.status === 200 && !answer.body.errors) firstSuccessMs = performance.now() - backAt;
      }
      if (readyMs === undefined && (await httpRequest(`${base}/readyz`)).status === 200) readyMs = performance.now() - backAt;
      await sleep(10);
    }
    while (outcomes.filter((outcome) => outcome.phase === 'back' && outcome.uuid).length < 30) await sleep(20);
    stop = true;
    await within(Promise.all(workers), 60_000, 'the load to stop');

    const down = outcomes.filter((outcome) => outcome.phase === 'down');
    // Every request while the database was away failed, and with SERVICE_UNAVAILABLE, nothing else.
    const downCodes = new Set(down.flatMap((outcome) => outcome.codes));
    expect([...downCodes]).toEqual(['SERVICE_UNAVAILABLE']);
    // Around the crash and the return, a request fails only as unavailable.
    for (const outcome of outcomes) for (const code of outcome.codes) expect(code).toBe('SERVICE_UNAVAILABLE');
    expect(outcomes.filter((outcome) => outcome.phase === 'back' && outcome.codes.length === 0).length).toBeGreaterThan(30);
    expect(serve.child.exitCode).toBeNull();

    // Every write the registry acknowledged is in the database.
    const acknowledged = outcomes.flatMap((outcome) => (outcome.uuid ? [outcome.uuid] : []));
    const client = new pg.Client({ connectionString: postgres.url('registry') });
    await client.connect();
    const { rows } = await client.query<{ uuid: string }>('SELECT uuid::text FROM components WHERE uuid = ANY($1::uuid[])', [acknowledged]);
    await client.end();
    expect(new Set(rows.map((row) => row.uuid))).toEqual(new Set(acknowledged));

    const failFast = down.map((outcome) => outcome.ms).sort((a, b) => a - b);
    const figures = {
      acknowledgedWrites: acknowledged.length,
      downRequests: down.length,
      downLatencyMsMedian: Math.round(failFast[Math.floor(failFast.length / 2)]!),
      downLatencyMsMax: Math.round(failFast.at(-1)!),
      outageMs: Math.round(backAt - downAt),
      backToFirstSuccessMs: Math.round(firstSuccessMs),
      backToReadyMs: Math.round(readyMs),
    };
    console.info(`database-loss figures: ${JSON.stringify(figures)}`);

    serve.child.kill('SIGTERM');
    expect(await within(serve.exited, 60_000, 'shutdown')).toBe(0);
  }, 300_000);
});
