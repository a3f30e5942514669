import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLocalToken } from '../../src/auth/local-credential.js';
import { createToken, revokeToken } from '../../src/auth/tokens.js';
import { openDatabase } from '../../src/db/database.js';
import { packageDir } from '../cli/helpers.js';
import { freshTarget, testEngine, type TestDatabase } from '../support/database.js';

// Two `omnibase serve` processes on one PostgreSQL database: what one acknowledges, the other must show at once.
const runs = testEngine === 'postgres' && Boolean(process.env.TEST_DATABASE_URL);
if (!runs) console.warn('test/cache/cross-instance: skipped; it needs two servers on one PostgreSQL (set TEST_DATABASE_URL).');

const children: ChildProcess[] = [];
let database: TestDatabase;
let configDir: string;
let first: string;
let second: string;
let token: string;

function serve(env: NodeJS.ProcessEnv): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'serve', '--port', '0', '--migrate'], {
    cwd: packageDir,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('serve did not listen within 60 s')), 60_000);
    child.once('exit', (code) => reject(new Error(`serve exited (${code}) before listening`)));
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (!line.includes('registry listening')) return;
      clearTimeout(timer);
      lines.close();
      // The request log is not read, but must keep flowing: a full pipe would block the server.
      child.stdout!.resume();
      resolve((JSON.parse(line) as { url: string }).url);
    });
  });
}

async function graphql(url: string, query: string, variables: Record<string, unknown> = {}, bearer?: string): Promise<any> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown[] };
  expect(body.errors).toBeUndefined();
  return body.data;
}

// Without PostgreSQL the suite is reported skipped; the warning above says what it needs.
describe.skipIf(!runs)('two servers on one PostgreSQL', () => {
  beforeAll(async () => {
    database = await freshTarget();
    configDir = await mkdtemp(join(tmpdir(), 'omnibase-cache-config-'));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: (database.target as { url: string }).url,
      OMNIBASE_CONFIG_DIR: configDir,
      OMNIBASE_LOG_LEVEL: 'info',
    };
    first = await serve(env);
    second = await serve(env);
    token = (await findLocalToken(first, env))!;
    expect(token).toBeTruthy();
  });

  afterAll(async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
      }
    }
    await database?.dispose();
    if (configDir) await rm(configDir, { recursive: true, force: true });
  });

  it('never shows through one what the other changed a moment before, whatever the query', async () => {
    const register = (document: Record<string, unknown>) =>
      graphql(first, 'mutation($m: JSON!) { register(metadata: $m) { uuid } }', { m: { schema_version: '0.3', type: 'tool', ...document } }, token);
    const base = (await register({ uuid: crypto.randomUUID(), name: 'base', version: '1.0.0', tags: ['cross'] })).register.uuid as string;

    const byRange = '{ component(name: "lib", versionSpec: "^1") { version description } }';
    const search = '{ search(tags: ["cross"]) { totalCount } }';
    const dependents = `{ component(uuid: "${base}") { dependents { version } } }`;
    let previous: string | undefined;
    const byUuid = () => `{ component(uuid: "${previous}") { version description } }`;
    for (let round = 1; round <= 25; round += 1) {
      // Read through the second server first, so it holds the answer from before the write.
      await Promise.all([byRange, search, dependents, ...(previous ? [byUuid()] : [])].map((query) => graphql(second, query)));
      const uuid = crypto.randomUUID();
      await register({
        uuid,
        name: 'lib',
        version: `1.${round}.0`,
        description: 'registered',
        tags: ['cross'],
        dependencies: [{ name: 'base', version_spec: '^1' }],
      });
      expect((await graphql(second, byRange)).component).toEqual({ version: `1.${round}.0`, description: 'registered' });
      expect((await graphql(second, search)).search.totalCount).toBe(round + 1);
      expect((await graphql(second, dependents)).component.dependents).toHaveLength(round);

      // A lookup by uuid is evicted by writes to its own component only: the registration above left it.
      if (previous) {
        await graphql(first, 'mutation($u: UUID!) { update(uuid: $u, patch: { description: "again" }) { revision } }', { u: previous }, token);
        expect((await graphql(second, byUuid())).component.description).toBe('again');
      }
      await graphql(first, 'mutation($u: UUID!) { update(uuid: $u, patch: { description: "patched" }) { revision } }', { u: uuid }, token);
      expect((await graphql(second, byRange)).component).toEqual({ version: `1.${round}.0`, description: 'patched' });
      previous = uuid;
    }
  });

  it('refuses a revoked token at once through every instance, though each remembers the tokens it verified', async () => {
    const db = await openDatabase(database.target);
    try {
      const { token: revoked, record } = await createToken(db, { name: 'soon revoked', capabilities: ['REGISTRY_READ'] });
      for (const url of [first, second]) await graphql(url, '{ search { totalCount } }', {}, revoked);
      await revokeToken(db, record.id);
      for (const url of [second, first]) {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${revoked}` },
          body: JSON.stringify({ query: '{ search { totalCount } }' }),
        });
        expect(response.status).toBe(401);
        expect(((await response.json()) as { errors: Array<{ message: string }> }).errors[0]!.message).toMatch(/was revoked/);
      }
    } finally {
      await db.close();
    }
  });
});
