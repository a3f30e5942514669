import { existsSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RegistryUnreachableError } from '../../cli/client/errors.js';
import { RegistryClient } from '../../cli/client/transport.js';
import { reportError } from '../../cli/command.js';
import { ExitCode } from '../../cli/exit-codes.js';
import { ComponentByUuidDocument } from '../../cli/generated/graphql.js';
import { freePort } from '../ops/support.js';
import { captureContext, cli, setEnv, tempDir, writeTextFile } from './helpers.js';

const UUID = '6f1c2a9e-1111-4222-8333-444455556666';
const DOCUMENT = `schema_version: "0.3"\nuuid: ${UUID}\nname: yaml-lint\nversion: 1.4.2\ntype: validator\n`;

/**
 * A raw TCP server standing in for a registry that fails in one way: it reads each request to its last byte
 * (so the write has certainly arrived) and then does `then` with the socket.
 */
async function brokenRegistry(then: (socket: Socket) => void): Promise<{ url: string; requests: () => number; close(): Promise<void> }> {
  let requests = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      const length = Number(/content-length: *(\d+)/i.exec(received.subarray(0, end).toString())?.[1] ?? 0);
      if (end !== -1 && received.length >= end + 4 + length) {
        requests += 1;
        then(socket);
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    requests: () => requests,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

let temp: { dir: string; remove(): Promise<void> };
let file: string;
let patch: string;
let restoreEnv: () => void;

beforeAll(async () => {
  temp = await tempDir('omnibase-outcome-');
  file = await writeTextFile(temp.dir, 'validator.yml', DOCUMENT);
  patch = await writeTextFile(temp.dir, 'patch.yml', 'lifecycle: deprecated\n');
});
afterEach(() => restoreEnv?.());
afterAll(async () => {
  await temp?.remove();
});

function pointAt(url: string, extra: Record<string, string> = {}): void {
  restoreEnv = setEnv({ OMNIBASE_URL: url, OMNIBASE_TOKEN: 'omni_0123456789ab_secret', OMNIBASE_CACHE_DIR: join(temp.dir, 'cache'), ...extra });
}

/** `registry add`'s last line after a chunk of one document went without an answer. */
const UNCONFIRMED = 'registered 0, unchanged 0, refused 0, unconfirmed 1 (sent without an answer)\n';

const unknown = (url: string, reason: string) =>
  `error: the registry at ${url} did not confirm the write (${reason}): it may or may not have been applied. ` +
  `Check with \`omnibase registry get ${UUID}\` (it shows what the registry holds now) before trying again\n`;

describe('a write that may have reached the registry: exit 7, the outcome is unknown, and how to check', () => {
  it('the connection is reset after the request went out', async () => {
    const registry = await brokenRegistry((socket) => socket.resetAndDestroy());
    try {
      pointAt(registry.url);
      const add = await cli('registry', 'add', file);
      expect(add.code).toBe(ExitCode.OutcomeUnknown);
      expect(add.stdout).toBe('');
      expect(add.stderr).toBe(unknown(registry.url, 'read ECONNRESET') + UNCONFIRMED);
      const update = await cli('registry', 'update', UUID, '--patch', patch);
      expect(update.code).toBe(ExitCode.OutcomeUnknown);
      expect(registry.requests()).toBe(2);
      // Nothing is known, so nothing is cached.
      expect(existsSync(join(temp.dir, 'cache'))).toBe(false);
    } finally {
      await registry.close();
    }
  });

  it('the connection is closed without an answer', async () => {
    const registry = await brokenRegistry((socket) => socket.end());
    try {
      pointAt(registry.url);
      const add = await cli('registry', 'add', file);
      expect(add).toEqual({ code: ExitCode.OutcomeUnknown, stdout: '', stderr: unknown(registry.url, 'other side closed') + UNCONFIRMED });
    } finally {
      await registry.close();
    }
  });

  it('no answer comes within OMNIBASE_REQUEST_TIMEOUT', async () => {
    const registry = await brokenRegistry(() => {});
    try {
      pointAt(registry.url, { OMNIBASE_REQUEST_TIMEOUT: '1s' });
      const add = await cli('registry', 'add', file);
      expect(add).toEqual({ code: ExitCode.OutcomeUnknown, stdout: '', stderr: unknown(registry.url, 'no answer within 1 s') + UNCONFIRMED });
      // A read that times out is the registry being unreachable: it falls back to the cache, here empty.
      const get = await cli('registry', 'get', UUID);
      expect(get.code).toBe(ExitCode.Unreachable);
      expect(get.stderr).toContain('(no answer within 1 s; the cache at ');
    } finally {
      await registry.close();
    }
  });

  it('a gateway answers 502 without GraphQL', async () => {
    const registry = await brokenRegistry((socket) => socket.end('HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/html\r\ncontent-length: 3\r\nconnection: close\r\n\r\nbad'));
    try {
      pointAt(registry.url);
      const add = await cli('registry', 'add', file);
      expect(add.code).toBe(ExitCode.OutcomeUnknown);
      expect(add.stderr).toContain("(HTTP 502 without a GraphQL answer; is this the registry's /graphql endpoint?): it may or may not have been applied.");
    } finally {
      await registry.close();
    }
  });
});

describe('a write that provably never reached the registry: exit 3, nothing changed', () => {
  it('nothing listens (connection refused)', async () => {
    const url = `http://127.0.0.1:${await freePort()}/graphql`;
    pointAt(url);
    const add = await cli('registry', 'add', file);
    expect(add.code).toBe(ExitCode.Unreachable);
    expect(add.stderr).toMatch(
      new RegExp(`^error: the registry at ${url} is unreachable \\(connect ECONNREFUSED 127\\.0\\.0\\.1:\\d+\\); the write was never sent, so nothing changed; start it with`),
    );
  });

  it('the name does not resolve', async () => {
    pointAt('http://registry.invalid/graphql');
    const update = await cli('registry', 'update', UUID, '--patch', patch);
    expect(update.code).toBe(ExitCode.Unreachable);
    expect(update.stderr).toMatch(/^error: the registry at http:\/\/registry\.invalid\/graphql is unreachable \(getaddrinfo (ENOTFOUND|EAI_AGAIN) registry\.invalid\); the write was never sent, so nothing changed;/);
  });
});

it('a TypeError inside the client is a bug: exit 1 with its message and stack, never "unreachable"', async () => {
  // A header value fetch refuses: the request is never made, and the failure is the CLI's own.
  const client = new RegistryClient(`http://127.0.0.1:${await freePort()}/graphql`, 'line\nbreak');
  const error = await client.request(ComponentByUuidDocument, { uuid: UUID }).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(TypeError);
  expect(error).not.toBeInstanceOf(RegistryUnreachableError);
  const captured = captureContext();
  expect(reportError(error, captured.context.stderr)).toBe(ExitCode.Unexpected);
  expect(captured.stderr()).toMatch(/^error: .*invalid header value\.\nTypeError: /is);
  expect(captured.stderr()).not.toContain('unreachable');
});
