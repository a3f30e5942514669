import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from 'graphql-sse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLocalToken } from '../../src/auth/local-credential.js';
import { killChildren, startOmnibase, type OmnibaseProcess } from '../cli/processes.js';
import { freshTarget, testEngine, type TestDatabase } from '../support/database.js';
import { committedSequences as feedSequences } from '../support/feed.js';

// Two `omnibase serve` processes on one PostgreSQL: a subscriber on one sees exactly what commits through the other.
const runs = testEngine === 'postgres' && Boolean(process.env.TEST_DATABASE_URL);
if (!runs) console.warn('test/registry/change-stream-instances: skipped; it needs two servers on one PostgreSQL (set TEST_DATABASE_URL).');

let database: TestDatabase;
let configDir: string;
let env: Record<string, string>;
let writer: OmnibaseProcess;
let reader: OmnibaseProcess;
let writerUrl: string;
let readerUrl: string;
let token: string;
const clients: Client[] = [];

async function graphql(url: string, query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown[] };
  expect(body.errors).toBeUndefined();
  return body.data;
}

const committedSequences = (url: string) => feedSequences((query, variables) => graphql(url, query, variables));

/**
 * A subscriber that keeps only what it received and resumes with its last sequence, as a client that drops its
 * connection (or loses its server) and comes back.
 */
function resumingSubscriber() {
  const received: string[] = [];
  const errors: unknown[] = [];
  let completions = 0;
  let dispose = () => {};
  const open = (url: string) => {
    const client = createClient({ url, retryAttempts: 0, headers: { authorization: `Bearer ${token}` } });
    clients.push(client);
    const stop = client.subscribe<{ changes: { sequence: string } }>(
      { query: 'subscription($a: String) { changes(after: $a) { sequence uuid } }', variables: { a: received.at(-1) ?? null } },
      {
        next: (result) => (result.errors ? errors.push(...result.errors) : received.push(result.data!.changes.sequence)),
        error: (error) => errors.push(error),
        complete: () => (completions += 1),
      },
    );
    dispose = () => {
      stop();
      client.dispose();
    };
  };
  return { received, errors, completions: () => completions, open, close: () => dispose() };
}

async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

// Without PostgreSQL the suite is reported skipped; the warning above says what it needs.
describe.skipIf(!runs)('change streams across two servers on one PostgreSQL', () => {
  beforeAll(async () => {
    database = await freshTarget();
    configDir = await mkdtemp(join(tmpdir(), 'omnibase-stream-config-'));
    env = { DATABASE_URL: (database.target as { url: string }).url, OMNIBASE_CONFIG_DIR: configDir, OMNIBASE_SHUTDOWN_TIMEOUT_MS: '30000' };
    writer = startOmnibase(['serve', '--port', '0', '--migrate'], env);
    writerUrl = await writer.listening;
    reader = startOmnibase(['serve', '--port', '0'], env);
    readerUrl = await reader.listening;
    token = (await findLocalToken(writerUrl, { ...process.env, ...env }))!;
    expect(token).toBeTruthy();
  });

  afterAll(async () => {
    for (const client of clients) client.dispose();
    await killChildren();
    await database?.dispose();
    if (configDir) await rm(configDir, { recursive: true, force: true });
  });

  it('delivers exactly the committed sequence to a subscriber on the other instance that keeps dropping and resuming', async () => {
    const subscriber = resumingSubscriber();
    subscriber.open(readerUrl);
    let written = 0;
    const writers = Array.from({ length: 4 }, async (_, worker) => {
      for (let i = 0; i < 15; i += 1) {
        await graphql(writerUrl, 'mutation($m: JSON!) { register(metadata: $m) { uuid } }', {
          m: { schema_version: '0.3', uuid: crypto.randomUUID(), name: `w${worker}`, version: `1.0.${i}`, type: 'tool' },
        });
        written += 1;
      }
    });
    const done = Promise.all(writers);
    let finished = false;
    void done.then(() => (finished = true));
    // Drop and resume while the writers run, at moments unrelated to the writes.
    let drops = 0;
    while (!finished) {
      await new Promise((resolve) => setTimeout(resolve, 30 + Math.floor(Math.random() * 150)));
      subscriber.close();
      subscriber.open(readerUrl);
      drops += 1;
    }
    await done;
    expect(drops).toBeGreaterThan(3);
    const committed = await committedSequences(writerUrl);
    expect(committed.length).toBe(written);
    expect(written).toBe(60);
    await until(() => subscriber.received.at(-1) === committed.at(-1), 'the subscriber to catch up');
    subscriber.close();
    expect(subscriber.errors).toEqual([]);
    expect(subscriber.received).toEqual(committed);
  });

  it('completes the stream when its server drains on SIGTERM; resumed on the other instance, nothing is lost or repeated', async () => {
    const before = (await committedSequences(writerUrl)).length;
    const subscriber = resumingSubscriber();
    subscriber.open(readerUrl);
    let writing = true;
    const writes = (async () => {
      for (let i = 0; writing; i += 1) {
        await graphql(writerUrl, 'mutation($m: JSON!) { register(metadata: $m) { uuid } }', {
          m: { schema_version: '0.3', uuid: crypto.randomUUID(), name: 'drained', version: `1.0.${i}`, type: 'tool' },
        });
      }
    })();
    await until(() => subscriber.received.length > before + 5, 'live changes through the reader');
    const started = Date.now();
    reader.child.kill('SIGTERM');
    expect(await reader.exited).toBe(0);
    // The open stream does not hold the drain: it completes at once, well within the 30 s bound.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(reader.logs().find((entry) => entry.msg === 'drained')).toMatchObject({ forced: false });
    await until(() => subscriber.completions() === 1, 'the stream to complete');
    subscriber.open(writerUrl);
    await new Promise((resolve) => setTimeout(resolve, 300));
    writing = false;
    await writes;
    const committed = await committedSequences(writerUrl);
    await until(() => subscriber.received.at(-1) === committed.at(-1), 'the subscriber to catch up on the writer');
    subscriber.close();
    expect(subscriber.errors).toEqual([]);
    expect(subscriber.received).toEqual(committed);
  });
});
