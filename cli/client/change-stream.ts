import { print } from 'graphql';
import { createClient, NetworkError } from 'graphql-sse';
import { ChangeStreamDocument, type ChangeStreamSubscription } from '../generated/graphql.js';
import { RegistryResponseError } from './errors.js';

export type StreamedChange = ChangeStreamSubscription['changes'];

/** How following the stream ended: asked to stop, or why the caller should sync again or poll instead. */
export type StreamOutcome =
  | { readonly kind: 'stopped' }
  /** The server has no change stream (an older registry, or something else at the URL): poll from now on. */
  | { readonly kind: 'unsupported'; readonly reason: string }
  /** The server refused this stream (TOO_MANY_STREAMS): poll for a while, then try again. */
  | { readonly kind: 'refused'; readonly reason: string }
  /** The stream ended or broke off (a drain, a lost connection, a silent server): sync again and follow anew. */
  | { readonly kind: 'ended'; readonly reason: string };

export interface FollowOptions {
  readonly url: string;
  readonly token: string | undefined;
  /** The cursor the cache holds: the stream replays what committed after it, then goes live. */
  readonly after: string | null;
  /** Stores changes in order; changes that arrived while the last call ran come together in the next. */
  readonly onChanges: (changes: readonly StreamedChange[]) => Promise<void>;
  /** Resolves when following should stop (a signal). */
  readonly stop: Promise<unknown>;
  /** How long the server may send nothing, not even its keep-alive (every 12 s), before the stream counts as lost. */
  readonly idleMs?: number;
}

const STREAM = print(ChangeStreamDocument);

/** Codes with which a registry that streams refuses or ends one stream; anything else means it has no stream to offer. */
const ENDED_CODES = new Set(['SERVICE_UNAVAILABLE', 'INTERNAL_SERVER_ERROR']);

/**
 * Follows `subscription { changes }` (GraphQL over SSE, graphql-sse's distinct-connections client) from `after`
 * until stopped or the stream ends, handing changes to `onChanges` in order. Never retries on its own: the caller
 * resumes from the cursor it stored, so a change is neither skipped nor stored twice.
 */
export async function followChanges({ url, token, after, onChanges, stop, idleMs = 45_000 }: FollowOptions): Promise<StreamOutcome> {
  let lastHeard = Date.now();
  // Every byte counts as a sign of life, the server's keep-alive comments included (the client hides those).
  const fetchFn = async (input: RequestInfo | URL, init?: RequestInit) => {
    const response = await fetch(input, init);
    lastHeard = Date.now();
    if (!response.body) return response;
    const watched = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          lastHeard = Date.now();
          controller.enqueue(chunk);
        },
      }),
    );
    return new Response(watched, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  const client = createClient({ url, fetchFn, retryAttempts: 0, headers: token ? { authorization: `Bearer ${token}` } : {} });

  let cursor = after === null ? -1n : BigInt(after);
  let queue: StreamedChange[] = [];
  let storing: Promise<void> = Promise.resolve();
  let finish: (outcome: StreamOutcome | Error) => void = () => {};
  const finished = new Promise<StreamOutcome | Error>((resolve) => (finish = resolve));

  const store = async () => {
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      await onChanges(batch);
    }
  };
  const dispose = client.subscribe<ChangeStreamSubscription>(
    { query: STREAM, variables: { after } },
    {
      next(result) {
        const error = result.errors?.[0] as { message: string; extensions?: { code?: unknown } } | undefined;
        if (error) {
          const code = typeof error.extensions?.code === 'string' ? error.extensions.code : undefined;
          if (code === 'TOO_MANY_STREAMS') finish({ kind: 'refused', reason: error.message });
          else if (code === 'UNAUTHENTICATED' || code === 'FORBIDDEN') finish(new RegistryResponseError(error.message, error.extensions as Record<string, unknown>));
          else if (code && ENDED_CODES.has(code)) finish({ kind: 'ended', reason: error.message });
          else finish({ kind: 'unsupported', reason: error.message });
          return;
        }
        const change = result.data!.changes;
        // The server never repeats a change after the cursor asked for; a repeat would only be stored once anyway.
        if (BigInt(change.sequence) <= cursor) return;
        cursor = BigInt(change.sequence);
        queue.push(change);
        if (queue.length === 1) storing = storing.then(store);
        storing.catch((error: unknown) => finish(error instanceof Error ? error : new Error(String(error))));
      },
      error(error) {
        const status = error instanceof NetworkError ? error.response?.status : undefined;
        if (status === 401 || status === 403) finish(new RegistryResponseError(`the registry refused the stream (HTTP ${status})`, { code: status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN' }));
        else if (status !== undefined && status >= 400 && status < 500 && status !== 429) finish({ kind: 'unsupported', reason: `HTTP ${status} to a stream request` });
        else finish({ kind: 'ended', reason: error instanceof Error ? error.message : String(error) });
      },
      complete: () => finish({ kind: 'ended', reason: 'the server closed the stream' }),
    },
  );
  const watchdog = setInterval(() => {
    if (Date.now() - lastHeard > idleMs) finish({ kind: 'ended', reason: `nothing from the server for ${idleMs / 1000} s` });
  }, Math.min(1_000, idleMs));
  void stop.then(() => finish({ kind: 'stopped' }));

  try {
    const outcome = await finished;
    dispose();
    // What arrived before the end is stored before the caller moves on, so its next cursor is the last change stored.
    await storing;
    if (outcome instanceof Error) throw outcome;
    return outcome;
  } finally {
    clearInterval(watchdog);
    dispose();
    client.dispose();
  }
}
