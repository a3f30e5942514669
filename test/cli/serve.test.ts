import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../cli/exit-codes.js';
import { testEngine } from '../support/database.js';
import { findLocalToken } from '../../src/auth/local-credential.js';
import { cli, cliDatabase, packageDir, setEnv, tempDir, type CliDatabase, type CliResult } from './helpers.js';

interface ServeProcess {
  readonly child: ChildProcess;
  /** Resolves with the GraphQL URL once the server logs that it listens; rejects if it exits first. */
  readonly listening: Promise<string>;
  /** Resolves with the exit code (or the signal that ended it). */
  readonly exited: Promise<number | NodeJS.Signals>;
  stdout(): string;
  stderr(): string;
}

const children = new Set<ChildProcess>();

/** Runs `omnibase serve …` (or any command) as its own process, from the sources, via tsx. */
function startCli(args: string[], env: Record<string, string | undefined>): ServeProcess {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, OMNIBASE_LOG_LEVEL: 'info' };
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[key];
    else childEnv[key] = value;
  }
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], {
    cwd: packageDir,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | NodeJS.Signals>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not listen within 60 s\n${stdout}${stderr}`)), 60_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      stdout += `${line}\n`;
      const entry = parseJson(line);
      if (typeof entry?.msg === 'string' && entry.msg.includes('registry listening') && typeof entry.url === 'string') {
        clearTimeout(timer);
        resolve(entry.url);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code}) before listening\n${stdout}${stderr}`));
    });
  });
  listening.catch(() => {}); // Tests that expect an early exit never await it.
  return { child, listening, exited, stdout: () => stdout, stderr: () => stderr };
}

function parseJson(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

afterEach(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      const exit = once(child, 'exit');
      child.kill('SIGKILL');
      await exit;
    }
  }
  children.clear();
});

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
    const first = startCli(['serve', '--port', '0', ...(testEngine === 'postgres' ? ['--migrate'] : [])], env);
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
    const second = startCli(['serve', '--port', '0'], env);
    const again = await second.listening;
    // PGlite checks its migrations at every start; PostgreSQL without --migrate only verifies none is pending.
    if (testEngine === 'pglite') expect(second.stdout()).toContain('"msg":"database up to date"');
    expect(second.stdout()).not.toContain('"msg":"migrations applied"');
    expect(await graphql(again, `{ component(uuid: "${METADATA.uuid}") { name version } }`)).toEqual(found);
    second.child.kill('SIGINT');
    expect(await within(second.exited, 10_000, 'shutdown')).toBe(0);
  });

  it.runIf(testEngine === 'postgres')(
    'refuses to start on an unmigrated PostgreSQL without --migrate, exit 1',
    async () => {
      const unmigrated = await cliDatabase();
      try {
        const serve = startCli(['serve', '--port', '0'], unmigrated.env);
        expect(await within(serve.exited, 30_000, 'refusal')).toBe(ExitCode.Unexpected);
        expect(serve.stderr()).toMatch(/^PostgreSQL at 127\.0\.0\.1:5432\/\w+ has \d+ migration\(s\) not applied \(\d{14}_init/);
        expect(serve.stderr()).toContain('run `omnibase db migrate` or start with --migrate');
        expect(serve.stdout()).not.toContain('registry listening');
      } finally {
        await unmigrated.dispose();
      }
    },
  );

  it('rejects a DATABASE_URL that is not postgresql:// with exit 2 and one clean line', async () => {
    const serve = startCli(['serve', '--port', '0'], { DATABASE_URL: 'mysql://x', OMNIBASE_DATA_DIR: undefined });
    expect(await within(serve.exited, 30_000, 'refusal')).toBe(ExitCode.InvalidInput);
    expect(serve.stderr()).toBe(
      'error: DATABASE_URL must be a postgresql:// URL; unset it to use the embedded database (got "mysql:…")\n',
    );
    expect(serve.stdout()).toBe('');
  });
});

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

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

  it.runIf(testEngine === 'postgres')('refuses an unmigrated PostgreSQL without --migrate (exit 1)', async () => {
    const unmigrated = await cliDatabase();
    const restore = setEnv(unmigrated.env);
    try {
      const result = await cli('serve', '--port', '0');
      expect(result.code).toBe(ExitCode.Unexpected);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/migration\(s\) not applied \(\d{14}_init.*run `omnibase db migrate` or start with --migrate\n$/);
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
