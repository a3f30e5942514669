import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../cli/exit-codes.js';
import { runCli } from '../../cli/run.js';
import { createLogger } from '../../src/logger.js';
import { listen, type RunningServer } from '../../src/server/http.js';
import { captureContext, cli, type CapturedContext } from './helpers.js';
import { component, startCliRegistry, type CliRegistry } from './fixtures/registry.js';

let registry: CliRegistry;
const servers: RunningServer[] = [];
let versions = 0;

beforeAll(async () => {
  registry = await startCliRegistry();
});
afterAll(async () => {
  for (const server of servers) await server.close();
  await registry?.close();
});
beforeEach(async () => {
  await registry.freshCache();
});

/** Another server on the registry's database, e.g. with other stream settings. */
async function anotherServer(streamsPerPrincipal?: number): Promise<RunningServer> {
  const server = await listen({ db: registry.database.db, logger: createLogger('silent'), port: 0, host: '127.0.0.1', streamsPerPrincipal });
  servers.push(server);
  return server;
}

/** Registers one more component (through the registry's own server and a cache of its own), leaving the test's cache alone. */
async function registerElsewhere(): Promise<void> {
  const mine = process.env.OMNIBASE_CACHE_DIR;
  await registry.freshCache();
  versions += 1;
  const file = await registry.file(`v${versions}.yml`, component({ uuid: crypto.randomUUID(), name: 'elsewhere', version: `1.0.${versions}` }));
  expect((await cli('registry', 'add', file)).code).toBe(ExitCode.Ok);
  process.env.OMNIBASE_CACHE_DIR = mine;
}

async function until(condition: () => boolean, watch: CapturedContext, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; stdout: ${watch.stdout()} stderr: ${watch.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const syncedLines = (watch: CapturedContext) => watch.stdout().match(/^synced .*$/gm) ?? [];

/**
 * A proxy to the registry that will not stream: requests asking for server-sent events get `status` (a gateway
 * or an older registry), everything else goes through.
 */
async function proxyWithoutStreams(target: string, status: number): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(async (request, response) => {
    if ((request.headers.accept ?? '').includes('text/event-stream')) {
      response.writeHead(status, { 'content-type': 'text/plain' }).end('no streams here');
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const answer = await fetch(target, { method: request.method, headers: request.headers as Record<string, string>, body: chunks.length ? Buffer.concat(chunks) : undefined });
    response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/graphql`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('registry sync --watch without a stream', () => {
  it('polls every --interval when the registry offers no change stream', async () => {
    const proxy = await proxyWithoutStreams(registry.url, 406);
    try {
      const watch = captureContext();
      const running = runCli(['registry', 'sync', '--watch', '--interval', '0.3s', '--url', proxy.url], watch.context);
      await until(() => watch.stderr().includes('offers no change stream'), watch, 'the note');
      expect(watch.stderr()).toBe(`note: ${proxy.url} offers no change stream (HTTP 406 to a stream request); polling every 0.3s\n`);
      const polls = syncedLines(watch).length;
      await registerElsewhere();
      await until(() => syncedLines(watch).slice(polls).some((line) => line.startsWith('synced 1 change (1 component)')), watch, 'a poll to bring the change');
      process.emit('SIGINT', 'SIGINT');
      expect(await running).toBe(ExitCode.Ok);
      // The stream was asked for once; after the note, only polls.
      expect(watch.stderr()).toBe(`note: ${proxy.url} offers no change stream (HTTP 406 to a stream request); polling every 0.3s\nstopped by SIGINT\n`);
    } finally {
      await proxy.close();
    }
  });

  it('polls while the server refuses the stream (TOO_MANY_STREAMS), trying the stream again each --interval', async () => {
    const refusing = await anotherServer(0);
    const watch = captureContext();
    const running = runCli(['registry', 'sync', '--watch', '--interval', '0.3s', '--url', refusing.url], watch.context);
    const refusal =
      'warning: this server offers no change streams (OMNIBASE_STREAMS_PER_PRINCIPAL=0); poll the changes query instead; ' +
      'polling, and trying the stream again in 0.3s\n';
    await until(() => watch.stderr().split(refusal).length > 2, watch, 'two refusals');
    await registerElsewhere();
    await until(() => syncedLines(watch).some((line) => line.startsWith('synced 1 change (1 component)')), watch, 'a poll to bring the change');
    process.emit('SIGTERM', 'SIGTERM');
    expect(await running).toBe(ExitCode.Ok);
    expect(watch.stderr()).toMatch(/^(warning: this server offers no change streams .*\n)+stopped by SIGTERM\n$/);
  });

  it('syncs again and follows anew when the stream ends, riding out a server that went away', async () => {
    const draining = await anotherServer();
    const watch = captureContext();
    const running = runCli(['registry', 'sync', '--watch', '--interval', '0.3s', '--url', draining.url], watch.context);
    await until(() => syncedLines(watch).length === 1, watch, 'the first sync');
    await registerElsewhere();
    await until(() => syncedLines(watch).length === 2, watch, 'the streamed change');
    await draining.close();
    await until(() => watch.stderr().includes('is unreachable'), watch, 'the unreachable registry');
    expect(watch.stderr()).toMatch(/^warning: the change stream ended \(the server closed the stream\); syncing again\nwarning: the registry at .* is unreachable/);
    process.emit('SIGINT', 'SIGINT');
    expect(await running).toBe(ExitCode.Ok);
  });
});
