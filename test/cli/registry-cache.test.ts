import { readFile, readdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../cli/exit-codes.js';
import { runCli } from '../../cli/run.js';
import { createLogger } from '../../src/logger.js';
import { listen } from '../../src/server/http.js';
import { captureContext, cli, setEnv } from './helpers.js';
import { component, startCliRegistry, type CliRegistry } from './fixtures/registry.js';

const LINT = '6f1c2a9e-1111-4222-8333-444455556666';
const PARSER = '6f1c2a9e-2222-4222-8333-444455556666';

let registry: CliRegistry;

beforeAll(async () => {
  registry = await startCliRegistry();
  const files = await Promise.all([
    registry.file('parser.yml', component({ uuid: PARSER, name: 'yaml-parser', version: '2.1.3', type: 'tool', tags: ['yaml'] })),
    registry.file(
      'lint.yml',
      component({ uuid: LINT, name: 'yaml-lint', version: '1.4.2', tags: ['yaml', 'canary'], dependencies: [{ name: 'yaml-parser', version_spec: '^2' }] }),
    ),
  ]);
  expect((await cli('registry', 'add', ...files)).code).toBe(ExitCode.Ok);
});

afterAll(async () => {
  await registry?.close();
});

let cacheDir: string;
beforeEach(async () => {
  cacheDir = await registry.freshCache();
});

/** Every file of the cache (entries and counters) with its bytes. */
async function cacheFiles(): Promise<Array<readonly [string, Buffer]>> {
  const names = (await readdir(cacheDir, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile());
  const paths = names.map((entry) => join(entry.parentPath, entry.name)).sort();
  return Promise.all(paths.map(async (path) => [path, await readFile(path)] as const));
}

async function stats(...args: string[]): Promise<Record<string, unknown>> {
  const result = await cli('registry', 'cache', 'stats', '--output', 'json', ...args);
  expect(result.code).toBe(ExitCode.Ok);
  return JSON.parse(result.stdout);
}

/** An HTTP server answering every request with this status, content type and body. */
async function fakeServer(status: number, contentType: string, body: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((_request, response) => {
    response.writeHead(status, { 'content-type': contentType });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/graphql`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('when the registry stops answering', () => {
  it('reads fall back to the cache with the stale notice, writes exit 3 and leave the cache byte for byte', async () => {
    const second = await listen({ db: registry.database.db, logger: createLogger('silent'), port: 0, host: '127.0.0.1' });
    const restore = setEnv({ OMNIBASE_URL: second.url });
    try {
      expect((await cli('registry', 'get', LINT)).code).toBe(ExitCode.Ok);
      expect((await cli('registry', 'get', 'yaml-parser@^2')).code).toBe(ExitCode.Ok);
      expect((await cli('registry', 'graph', LINT)).code).toBe(ExitCode.Ok);
      await second.close();

      const get = await cli('registry', 'get', LINT);
      expect(get.code).toBe(ExitCode.Ok);
      expect(get.stdout).toContain('name          yaml-lint\n');
      expect(get.stderr).toMatch(
        new RegExp(
          `^warning: the registry at ${second.url} is unreachable \\([^)]+\\); answering from the cache, ` +
            'stored (just now|\\d+ seconds? ago) \\(\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\)\n$',
        ),
      );
      const byName = await cli('registry', 'get', 'yaml-parser@2', '--output', 'json');
      expect(JSON.parse(byName.stdout)).toMatchObject({ uuid: PARSER });
      const list = await cli('registry', 'ls', '--tag', 'yaml');
      expect(list.stdout).toContain('yaml-lint    1.4.2');
      expect(list.stdout).toContain('yaml-parser  2.1.3');
      expect(list.stderr).toContain('answering from the cache');
      const graph = await cli('registry', 'graph', LINT);
      expect(graph.stdout).toBe(`yaml-lint@1.4.2  ${LINT}\n└── yaml-parser@2.1.3  ^2\n`);

      const missing = await cli('registry', 'get', '6f1c2a9e-9999-4222-8333-444455556666');
      expect(missing.code).toBe(ExitCode.Unreachable);
      expect(missing.stderr).toContain('holds no component 6f1c2a9e-9999-4222-8333-444455556666 to fall back on');

      const before = await cacheFiles();
      // The format marker, two components, one graph, and the two counters.
      expect(before.map(([name]) => name)).toHaveLength(6);
      const file = await registry.file('while-down.yml', component({ uuid: '6f1c2a9e-7777-4222-8333-444455556666', name: 'late', version: '1.0.0' }));
      const add = await cli('registry', 'add', file);
      expect(add.code).toBe(ExitCode.Unreachable);
      expect(add.stdout).toBe('');
      expect(add.stderr.startsWith(`error: the registry at ${second.url} is unreachable (connect ECONNREFUSED `)).toBe(true);
      expect(add.stderr.endsWith(
        '); the write was never sent, so nothing changed; start it with `omnibase serve`, or point --url or OMNIBASE_URL at a running registry\n' +
          'registered 0, unchanged 0, refused 0, not sent 1\n',
      )).toBe(true);
      const update = await cli('registry', 'update', LINT, '--patch', await registry.file('p.yml', { description: 'x' }));
      expect(update.code).toBe(ExitCode.Unreachable);
      expect(await cacheFiles()).toEqual(before);
    } finally {
      restore();
      await second.close();
    }
  });

  it('treats SERVICE_UNAVAILABLE and answers that are not GraphQL as unreachable, other errors as unexpected', async () => {
    const down = await fakeServer(503, 'application/json', JSON.stringify({ errors: [{ message: 'the registry database is unavailable; retry shortly', extensions: { code: 'SERVICE_UNAVAILABLE' } }] }));
    const html = await fakeServer(404, 'text/html', '<h1>no</h1>');
    const text = await fakeServer(200, 'text/plain', 'hello');
    const internal = await fakeServer(200, 'application/json', JSON.stringify({ errors: [{ message: 'unexpected error; the server logged it as request r1', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] }));
    const bare = await fakeServer(200, 'application/json', JSON.stringify({ errors: [{ message: 'odd' }] }));
    try {
      const unavailable = await cli('registry', 'get', LINT, '--url', down.url);
      expect(unavailable.code).toBe(ExitCode.Unreachable);
      expect(unavailable.stderr).toContain('(the server says: the registry database is unavailable; retry shortly; the cache at ');
      // The request reached the server, whose database went away: the write may have been cut off in its commit.
      const write = await cli('registry', 'update', LINT, '--patch', await registry.file('q.yml', { description: 'x' }), '--url', down.url);
      expect(write).toEqual({
        code: ExitCode.OutcomeUnknown,
        stdout: '',
        stderr:
          `error: the registry at ${down.url} did not confirm the write (the server says: the registry database is unavailable; retry shortly): ` +
          `it may or may not have been applied. Check with \`omnibase registry get ${LINT}\` (it shows what the registry holds now) before trying again\n`,
      });
      const notFound = await cli('registry', 'get', LINT, '--url', html.url);
      expect(notFound.code).toBe(ExitCode.Unreachable);
      expect(notFound.stderr).toContain("HTTP 404 without a GraphQL answer; is this the registry's /graphql endpoint?");
      const plain = await cli('registry', 'get', LINT, '--url', text.url);
      expect(plain.code).toBe(ExitCode.Unreachable);
      expect(plain.stderr).toContain("the answer is not GraphQL");
      const bug = await cli('registry', 'get', LINT, '--url', internal.url);
      expect(bug).toEqual({ code: ExitCode.Unexpected, stdout: '', stderr: 'error: unexpected error; the server logged it as request r1\n' });
      expect((await cli('registry', 'get', LINT, '--url', bare.url)).code).toBe(ExitCode.Unexpected);
    } finally {
      await Promise.all([down.close(), html.close(), text.close(), internal.close(), bare.close()]);
    }
  });
  it("prints the server's METADATA_VALIDATION_ERROR exactly as the local validator prints its own (exit 2)", async () => {
    const problem = { pointer: '/annotations', keyword: 'maxBytes', message: 'the server refused it' };
    const server = await fakeServer(
      400,
      'application/graphql-response+json',
      JSON.stringify({
        errors: [{ message: 'metadata[0]: metadata is invalid (1 problem)', extensions: { code: 'METADATA_VALIDATION_ERROR', index: 0, errors: [problem] } }],
      }),
    );
    try {
      const file = await registry.file('server-refuses.yml', component({ uuid: '6f1c2a9e-abab-4222-8333-444455556666', name: 'refused', version: '1.0.0' }));
      const result = await cli('registry', 'add', file, '--url', server.url);
      expect(result).toEqual({
        code: ExitCode.InvalidInput,
        stdout: '',
        stderr: `${file}: MetadataValidationError: 1 problem\n  /annotations  the server refused it  [maxBytes]\nregistered 0, unchanged 0, refused 1\n`,
      });
    } finally {
      await server.close();
    }
  });
});

describe('--offline and --prefer-offline', () => {
  it('--offline answers only from the cache and exits 3 naming the cache when it cannot', async () => {
    const empty = await cli('registry', 'get', LINT, '--offline');
    expect(empty.code).toBe(ExitCode.Unreachable);
    expect(empty.stderr).toMatch(/^error: --offline and the cache at .*registry-cache-127\.0\.0\.1-\d+-graphql holds no component 6f1c/);
    expect((await cli('registry', 'ls', '--offline')).code).toBe(ExitCode.Unreachable);
    expect((await cli('registry', 'graph', LINT, '--offline')).code).toBe(ExitCode.Unreachable);

    await cli('registry', 'ls');
    const offline = await cli('registry', 'get', 'yaml-lint', '--offline', '--output', 'json');
    expect(offline.stderr).toBe('');
    expect(JSON.parse(offline.stdout)).toMatchObject({ uuid: LINT, revision: 1 });
    const list = await cli('registry', 'ls', '--offline', '--tag', 'canary', '--output', 'json');
    expect(JSON.parse(list.stdout)).toMatchObject({ totalCount: 1, components: [{ uuid: LINT }] });
    const range = await cli('registry', 'get', 'yaml-lint@>=2', '--offline');
    expect(range.code).toBe(ExitCode.Unreachable);
    const invalid = await cli('registry', 'get', 'yaml-lint@not valid!', '--offline');
    expect(invalid.code).toBe(ExitCode.InvalidInput);
    expect(await stats()).toMatchObject({ hits: 2, misses: 4, components: 2 });
  });

  it('--prefer-offline uses entries younger than --ttl (or OMNIBASE_CACHE_TTL) and asks the registry otherwise', async () => {
    const target = '6f1c2a9e-8888-4222-8333-444455556666';
    await cli('registry', 'add', await registry.file('ttl.yml', component({ uuid: target, name: 'ttl-probe', version: '1.0.0' })));
    const mine = process.env.OMNIBASE_CACHE_DIR;
    await registry.freshCache();
    await cli('registry', 'update', target, '--patch', await registry.file('ttl-patch.yml', { description: 'changed elsewhere' }));
    process.env.OMNIBASE_CACHE_DIR = mine;

    const fresh = await cli('registry', 'get', target, '--prefer-offline', '--output', 'json');
    expect(JSON.parse(fresh.stdout)).toMatchObject({ revision: 1 });
    const expired = await cli('registry', 'get', target, '--prefer-offline', '--ttl', '0s', '--output', 'json');
    expect(JSON.parse(expired.stdout)).toMatchObject({ revision: 2, description: 'changed elsewhere' });
    const restore = setEnv({ OMNIBASE_CACHE_TTL: '1h' });
    try {
      expect((await cli('registry', 'get', target, '--prefer-offline')).code).toBe(ExitCode.Ok);
      process.env.OMNIBASE_CACHE_TTL = 'soon';
      const bad = await cli('registry', 'get', target, '--prefer-offline');
      expect(bad).toEqual({ code: ExitCode.InvalidInput, stdout: '', stderr: 'error: OMNIBASE_CACHE_TTL must be a duration such as 30s, 10m, 2h or 1d (got "soon")\n' });
    } finally {
      restore();
    }
    expect((await cli('registry', 'get', target, '--prefer-offline', '--ttl', '-5m')).code).toBe(ExitCode.InvalidInput);
    expect(await stats()).toMatchObject({ hits: 2, misses: 1 });
  });
});

describe('omnibase registry sync', () => {
  it('pulls the change feed from its cursor, so changes made by another client become readable offline', async () => {
    const first = await cli('registry', 'sync');
    expect(first.code).toBe(ExitCode.Ok);
    expect(first.stdout).toMatch(new RegExp(`^synced \\d+ changes \\(\\d+ components\\) from ${registry.url}; cursor \\d+\\n$`));
    const again = await cli('registry', 'sync');
    expect(again.stdout).toMatch(/^synced 0 changes \(0 components\) from .*; cursor \d+\n$/);

    const mine = process.env.OMNIBASE_CACHE_DIR;
    await registry.freshCache();
    const target = '6f1c2a9e-9090-4222-8333-444455556666';
    await cli('registry', 'add', await registry.file('other-client.yml', component({ uuid: target, name: 'from-elsewhere', version: '3.0.0' })));
    process.env.OMNIBASE_CACHE_DIR = mine;

    expect((await cli('registry', 'get', target, '--offline')).code).toBe(ExitCode.Unreachable);
    expect((await cli('registry', 'sync')).stdout).toMatch(/^synced 1 change \(1 component\)/);
    const offline = await cli('registry', 'get', 'from-elsewhere', '--offline');
    expect(offline.stdout).toContain(`uuid          ${target}\n`);
    const info = await stats();
    expect(info.cursor).toMatch(/^\d+$/);
    expect(Date.now() - Date.parse(info.lastSync as string)).toBeLessThan(60_000);
  });

  it('--watch follows the change stream, storing each change as it commits, until SIGINT; it rides out an unreachable registry', async () => {
    const listeners = process.listenerCount('SIGINT');
    const captured = captureContext();
    // An interval far beyond the test: the change below can only arrive through the stream.
    const running = runCli(['registry', 'sync', '--watch', '--interval', '10m'], captured.context);
    const deadline = Date.now() + 30_000;
    const metricsUrl = registry.url.replace(/\/graphql$/, '/metrics');
    const openStreams = async () => Number(/^registry_open_streams (\d+)$/m.exec(await (await fetch(metricsUrl)).text())![1]);
    while (!/^synced/m.test(captured.stdout()) || (await openStreams()) === 0) {
      expect(Date.now(), captured.stderr()).toBeLessThan(deadline);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const watched = process.env.OMNIBASE_CACHE_DIR!;
    const live = '6f1c2a9e-7070-4222-8333-444455556666';
    await registry.freshCache();
    expect((await cli('registry', 'add', await registry.file('live.yml', component({ uuid: live, name: 'streamed', version: '1.0.0' })))).code).toBe(ExitCode.Ok);
    process.env.OMNIBASE_CACHE_DIR = watched;
    while (!/^synced 1 change \(1 component\) from .*; cursor \d+$/m.test(captured.stdout())) {
      expect(Date.now(), captured.stderr()).toBeLessThan(deadline);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await cli('registry', 'get', live, '--offline')).code).toBe(ExitCode.Ok);
    process.emit('SIGINT', 'SIGINT');
    expect(await running).toBe(ExitCode.Ok);
    expect(captured.stderr()).toBe('stopped by SIGINT\n');
    while ((await openStreams()) !== 0) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const down = captureContext();
    const unreachable = runCli(['registry', 'sync', '--watch', '--interval', '0.2s', '--url', 'http://127.0.0.1:9/graphql'], down.context);
    while (!down.stderr().includes('trying again in 0.2s')) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    process.emit('SIGTERM', 'SIGTERM');
    expect(await unreachable).toBe(ExitCode.Ok);
    expect(down.stderr()).toMatch(/^warning: the registry at http:\/\/127\.0\.0\.1:9\/graphql is unreachable .*; trying again in 0\.2s\n/);
    expect(process.listenerCount('SIGINT')).toBe(listeners);
  });

  it('exits 3 when the registry is unreachable for a single sync, and 2 for a bad --interval', async () => {
    const result = await cli('registry', 'sync', '--url', 'http://127.0.0.1:9/graphql');
    expect(result.code).toBe(ExitCode.Unreachable);
    expect(result.stderr).toMatch(/^error: the registry at http:\/\/127\.0\.0\.1:9\/graphql is unreachable/);
    const interval = await cli('registry', 'sync', '--watch', '--interval', 'often');
    expect(interval.stderr).toBe('error: --interval must be a duration such as 30s, 10m, 2h or 1d (got "often")\n');
  });
});

describe('omnibase registry cache', () => {
  it('stats shows entries, size, hit ratio and last sync; purge empties it', async () => {
    const empty = await cli('registry', 'cache', 'stats');
    expect(empty.stdout).toMatch(/^path       .*registry-cache-127\.0\.0\.1-\d+-graphql\nentries    0 \(0 components, 0 graphs\)\nsize       0 B\nhit ratio  no lookups yet\nlast sync  never\n$/);
    await cli('registry', 'sync');
    await cli('registry', 'graph', LINT);
    await cli('registry', 'get', LINT, '--offline');
    const human = await cli('registry', 'cache', 'stats');
    expect(human.stdout).toMatch(/\nentries    \d+ \(\d+ components, 1 graphs\)\nsize       \d+\.\d KiB\nhit ratio  100\.0% \(1 of 1 lookup\)\nlast sync  \d{4}-[^ ]+ \((just now|\d+ seconds? ago)\), cursor \d+\n$/);
    const yaml = await cli('registry', 'cache', 'stats', '--output', 'yaml');
    expect(yaml.stdout).toContain('hitRatio: 1\n');

    const purge = await cli('registry', 'cache', 'purge');
    expect(purge.stdout).toMatch(/^purged \d+ entries from .*registry-cache-127\.0\.0\.1-\d+-graphql\n$/);
    expect(await stats()).toMatchObject({ entries: 0, hits: 0, misses: 0, lastSync: null, cursor: null });
    expect((await cli('registry', 'get', LINT, '--offline')).code).toBe(ExitCode.Unreachable);
  });
});
