import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../cli/exit-codes.js';
import { testEngine } from '../support/database.js';
import { findLocalToken } from '../../src/auth/local-credential.js';
import { freePort, within } from '../ops/support.js';
import { cli, cliDatabase, setEnv, tempDir, type CliDatabase, type CliResult } from './helpers.js';
import { killChildren, startOmnibase } from './processes.js';

afterEach(killChildren);

/** Sends with the local credential the server wrote, when `configDir` holds one. */
async function graphql(url: string, query: string, variables?: Record<string, unknown>, configDir?: string): Promise<any> {
  const token = configDir && (await findLocalToken(url, { OMNIBASE_CONFIG_DIR: configDir }));
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  expect(response.status).toBe(200);
  return response.json();
}

const METADATA = {
  schema_version: '0.3',
  uuid: '6f1c2a9e-1111-4222-8333-444455556666',
  name: 'yaml-lint',
  version: '1.4.2',
  type: 'validator',
  tags: ['yaml', 'canary'],
};

describe('omnibase serve (subprocess)', () => {
  let database: CliDatabase;
  let config: { dir: string; remove(): Promise<void> };
  let env: Record<string, string | undefined>;
  beforeAll(async () => {
    database = await cliDatabase();
    config = await tempDir('omnibase-config-');
    env = { ...database.env, OMNIBASE_CONFIG_DIR: config.dir };
  });
  afterAll(async () => {
    await database?.dispose();
    await config?.remove();
  });

  it('serves GraphQL and GraphiQL, keeps the data, and exits 0 on SIGTERM', async () => {
    // PGlite migrates at start; PostgreSQL needs --migrate on a fresh database.
    const first = startOmnibase(['serve', '--port', '0', ...(testEngine === 'postgres' ? ['--migrate'] : [])], env);
    const url = await first.listening;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    expect(url).not.toMatch(/:0\//);
    expect(first.stdout()).toContain('"msg":"migrations applied"');

    const registered = await graphql(
      url,
      'mutation($m: JSON!) { register(metadata: $m) { registered uuid } }',
      { m: METADATA },
      config.dir,
    );
    expect(registered).toEqual({ data: { register: { registered: true, uuid: METADATA.uuid } } });
    const found = await graphql(url, `{ component(uuid: "${METADATA.uuid}") { name version } }`);
    expect(found).toEqual({ data: { component: { name: 'yaml-lint', version: '1.4.2' } } });

    const page = await fetch(url, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('omnibase registry');
    expect(html.toLowerCase()).toContain('graphiql');

    first.child.kill('SIGTERM');
    expect(await within(first.exited, 10_000, 'shutdown')).toBe(0);
    expect(first.stdout()).toContain('"signal":"SIGTERM"');
    expect(first.stderr()).toBe('');

    // Started again on the same, now migrated database (no --migrate needed on PostgreSQL): the data is there.
    const second = startOmnibase(['serve', '--port', '0'], env);
    const again = await second.listening;
    // PGlite checks its migrations at every start; PostgreSQL without --migrate only verifies none is pending.
    if (testEngine === 'pglite') expect(second.stdout()).toContain('"msg":"database up to date"');
    expect(second.stdout()).not.toContain('"msg":"migrations applied"');
    expect(await graphql(again, `{ component(uuid: "${METADATA.uuid}") { name version } }`)).toEqual(found);
    second.child.kill('SIGINT');
    expect(await within(second.exited, 10_000, 'shutdown')).toBe(0);
  });

  it.runIf(testEngine === 'postgres')(
    'refuses to start on an unmigrated PostgreSQL without --migrate, exit 2, naming the migrations and how to apply them',
    async () => {
      const unmigrated = await cliDatabase();
      try {
        const serve = startOmnibase(['serve', '--port', '0'], unmigrated.env);
        expect(await within(serve.exited, 30_000, 'refusal')).toBe(ExitCode.InvalidInput);
        expect(serve.stderr()).toMatch(/^error: PostgreSQL at 127\.0\.0\.1:5432\/\w+ has \d+ migration\(s\) not applied \(\d{14}_init/);
        expect(serve.stderr()).toMatch(/; apply them with `omnibase db migrate` \(or start the server with `omnibase serve --migrate`\)\n$/);
        expect(serve.stdout()).not.toContain('registry listening');
      } finally {
        await unmigrated.dispose();
      }
    },
  );

  it('rejects a DATABASE_URL that is not postgresql:// with exit 2 and one clean line', async () => {
    const serve = startOmnibase(['serve', '--port', '0'], { DATABASE_URL: 'mysql://x', OMNIBASE_DATA_DIR: undefined });
    expect(await within(serve.exited, 30_000, 'refusal')).toBe(ExitCode.InvalidInput);
    expect(serve.stderr()).toBe(
      'error: DATABASE_URL must be a postgresql:// URL; unset it to use the embedded database (got "mysql:…")\n',
    );
    expect(serve.stdout()).toBe('');
  });
});

describe('omnibase serve (in-process)', () => {
  let database: CliDatabase;
  let restoreEnv: () => void;
  beforeAll(async () => {
    database = await cliDatabase();
    restoreEnv = setEnv({ ...database.env, OMNIBASE_LOG_LEVEL: 'silent' });
  });
  afterAll(async () => {
    restoreEnv?.();
    await database?.dispose();
  });

  it('serves until SIGTERM, then returns 0 and removes its signal handlers', async () => {
    const before = { SIGTERM: process.listeners('SIGTERM'), SIGINT: process.listenerCount('SIGINT') };
    const port = await freePort();
    const running = cli('serve', '--port', String(port), '--migrate');
    let settled: CliResult | undefined;
    void running.then((result) => (settled = result));

    const url = `http://127.0.0.1:${port}/graphql`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      expect(settled, 'serve returned early').toBeUndefined();
      const response = await fetch(`${url}?query=${encodeURIComponent('{ __typename }')}`).catch(() => undefined);
      if (response) {
        expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
        break;
      }
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const added = process.listeners('SIGTERM').filter((listener) => !before.SIGTERM.includes(listener));
    expect(added).toHaveLength(1);
    added[0]!('SIGTERM');
    expect(await within(running, 10_000, 'shutdown')).toEqual({ code: ExitCode.Ok, stdout: '', stderr: '' });
    expect(process.listeners('SIGTERM')).toEqual(before.SIGTERM);
    expect(process.listenerCount('SIGINT')).toBe(before.SIGINT);
    await expect(fetch(url)).rejects.toThrow();
  });

  it('reports a port in use as one error line with exit 1', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const result = await cli('serve', '--port', String(port));
      expect(result.code).toBe(ExitCode.Unexpected);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(`error: listen EADDRINUSE: address already in use 127.0.0.1:${port}\n`);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it.runIf(testEngine === 'postgres')('refuses an unmigrated PostgreSQL without --migrate (exit 2)', async () => {
    const unmigrated = await cliDatabase();
    const restore = setEnv(unmigrated.env);
    try {
      const result = await cli('serve', '--port', '0');
      expect(result.code).toBe(ExitCode.InvalidInput);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/migration\(s\) not applied \(\d{14}_init.*apply them with `omnibase db migrate`/);
    } finally {
      restore();
      await unmigrated.dispose();
    }
  });

  it.each([['abc'], ['70000'], ['-1'], ['1.5']])('rejects --port %s as a usage error (exit 2)', async (port) => {
    const result = await cli('serve', '--port', port);
    expect(result.code).toBe(ExitCode.InvalidInput);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('--port');
  });
});
