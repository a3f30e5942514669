import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { followChanges, type StreamedChange } from '../../cli/client/change-stream.js';
import { RegistryResponseError } from '../../cli/client/errors.js';

// The CLI's stream client against servers that misbehave in the ways a real network or an older registry does.

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function fakeServer(handle: (request: IncomingMessage, response: ServerResponse) => void): Promise<string> {
  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  });
  return `http://127.0.0.1:${(server.address() as { port: number }).port}/graphql`;
}

const sse = (response: ServerResponse) => response.writeHead(200, { 'content-type': 'text/event-stream' });
const event = (response: ServerResponse, data: unknown) => response.write(`event: next\ndata: ${JSON.stringify(data)}\n\n`);
const never = new Promise<never>(() => {});

function change(sequence: number): StreamedChange {
  const uuid = `00000000-0000-4000-8000-${String(sequence).padStart(12, '0')}`;
  return {
    sequence: String(sequence),
    kind: 'REGISTERED',
    uuid,
    revision: 1,
    at: '2026-11-30T00:00:00.000Z',
    component: { uuid, name: 'c', version: `1.0.${sequence}`, type: 'TOOL', lifecycle: 'ACTIVE', description: null, owner: null, tags: [], metadata: {}, revision: 1, createdAt: '', updatedAt: '', dependencies: [] },
  } as StreamedChange;
}

describe('followChanges', () => {
  it('hands changes over in order, skips any at or before the cursor, and stops when asked', async () => {
    let stop = () => {};
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const url = await fakeServer((request, response) => {
      expect(request.headers.authorization).toBe('Bearer t0ken');
      sse(response);
      for (const sequence of [4, 5, 5, 6]) event(response, { data: { changes: change(sequence) } });
    });
    const stored: string[] = [];
    const outcome = followChanges({
      url,
      token: 't0ken',
      after: '4',
      stop: stopped,
      onChanges: async (changes) => {
        stored.push(...changes.map((c) => c.sequence));
        if (stored.includes('6')) stop();
      },
    });
    expect(await outcome).toEqual({ kind: 'stopped' });
    expect(stored).toEqual(['5', '6']);
  });

  it('counts a server that sends nothing, not even a keep-alive, as a lost stream', async () => {
    const url = await fakeServer((_request, response) => sse(response));
    expect(await followChanges({ url, token: undefined, after: null, stop: never, onChanges: async () => {}, idleMs: 300 })).toEqual({
      kind: 'ended',
      reason: 'nothing from the server for 0.3 s',
    });
  });

  it('takes an error it does not know as a registry without a stream, and a refused token as an error', async () => {
    const older = await fakeServer((_request, response) => {
      sse(response);
      event(response, { errors: [{ message: 'Cannot query field "changes" on type "Subscription".', extensions: { code: 'BAD_USER_INPUT' } }] });
    });
    expect(await followChanges({ url: older, token: undefined, after: null, stop: never, onChanges: async () => {} })).toEqual({
      kind: 'unsupported',
      reason: 'Cannot query field "changes" on type "Subscription".',
    });

    const refusing = await fakeServer((_request, response) => response.writeHead(401, { 'content-type': 'application/json' }).end('{}'));
    const refused = followChanges({ url: refusing, token: 'revoked', after: null, stop: never, onChanges: async () => {} });
    await expect(refused).rejects.toBeInstanceOf(RegistryResponseError);
    await expect(refused).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });

    const unavailable = await fakeServer((_request, response) => {
      sse(response);
      event(response, { errors: [{ message: 'the registry database is unavailable; retry shortly', extensions: { code: 'SERVICE_UNAVAILABLE' } }] });
    });
    expect(await followChanges({ url: unavailable, token: undefined, after: null, stop: never, onChanges: async () => {} })).toEqual({
      kind: 'ended',
      reason: 'the registry database is unavailable; retry shortly',
    });
  });

  it('reports a failure to store what arrived', async () => {
    const url = await fakeServer((_request, response) => {
      sse(response);
      event(response, { data: { changes: change(1) } });
    });
    await expect(
      followChanges({ url, token: undefined, after: null, stop: never, onChanges: async () => Promise.reject(new Error('disk full')) }),
    ).rejects.toThrow('disk full');
  });
});
