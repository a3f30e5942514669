import type { Principal } from '../auth/principal.js';
import type { ChannelListener, Database } from '../db/database.js';
import { changesAfter, type Change, type ChangeStreams } from '../resolvers/changes.js';
import { RegistryError } from '../resolvers/errors.js';

/** The channel the change feed's trigger notifies (migration 20261202100000_change_notify). */
export const CHANGES_CHANNEL = 'registry_changes';

/** Open streams one principal may hold at once, unless OMNIBASE_STREAMS_PER_PRINCIPAL says otherwise. */
export const DEFAULT_STREAMS_PER_PRINCIPAL = 10;

/** How often the tokens behind open streams are checked: a revoked token's streams end within this. */
export const REVOCATION_CHECK_MS = 30_000;

/** Changes one read of the feed takes: a stream far behind replays page by page, never the whole feed at once. */
export const STREAM_PAGE = 200;

export class StreamConfigError extends Error {
  override readonly name = 'StreamConfigError';
}

/** OMNIBASE_STREAMS_PER_PRINCIPAL: a whole number; 0 refuses every stream (clients then poll the feed). */
export function streamsPerPrincipalFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const setting = env.OMNIBASE_STREAMS_PER_PRINCIPAL?.trim();
  if (!setting) return DEFAULT_STREAMS_PER_PRINCIPAL;
  if (!/^\d{1,6}$/.test(setting)) {
    throw new StreamConfigError(
      `OMNIBASE_STREAMS_PER_PRINCIPAL must be a whole number of open change streams per token, 0 to refuse them all (got "${setting}")`,
    );
  }
  return Number(setting);
}

/** A principal asked for one stream more than the server allows it. */
export class StreamLimitError extends RegistryError {
  override readonly name = 'StreamLimitError';
  readonly code = 'TOO_MANY_STREAMS';
  constructor(
    principal: Principal,
    readonly limit: number,
  ) {
    super(
      limit === 0
        ? 'this server offers no change streams (OMNIBASE_STREAMS_PER_PRINCIPAL=0); poll the changes query instead'
        : `${principal.anonymous ? 'anonymous requests' : `token "${principal.name}"`} already hold ${limit} open change ` +
            `stream${limit === 1 ? '' : 's'}, the most this server allows one principal (OMNIBASE_STREAMS_PER_PRINCIPAL); ` +
            'close one, or poll the changes query',
    );
  }
  override details() {
    return { limit: this.limit };
  }
}

/** A stream asked for while the server drains: the client should resume with its cursor on another instance. */
export class StreamsClosedError extends RegistryError {
  override readonly name = 'StreamsClosedError';
  readonly code = 'SERVICE_UNAVAILABLE';
  constructor() {
    super('the server is shutting down and opens no change streams; resume with your last cursor in a moment');
  }
}

export interface ChangeStreamOptions {
  readonly db: Database;
  /** Open streams one principal may hold; 0 refuses every stream. */
  readonly perPrincipal?: number;
  /** How often open streams' tokens are checked for revocation, in ms. */
  readonly revocationCheckMs?: number;
}

/**
 * One stream: it reads the feed after its own cursor whenever it is woken, hands the changes out one by one, and
 * waits for the next wake once it is caught up. A wake while it reads or hands out marks it to read again, so a
 * change committed at any moment is read by a read that began after its notification.
 */
class ChangeStream implements AsyncIterableIterator<Change> {
  private pending: Change[] = [];
  /** Whether the feed may hold changes after the cursor that this stream has not read: true until the first read. */
  private stale = true;
  private ended = false;
  private waiter: (() => void) | undefined;

  constructor(
    private cursor: bigint,
    private readonly read: (after: bigint) => Promise<Change[]>,
    private readonly onEnd: (stream: ChangeStream) => void,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<Change>> {
    for (;;) {
      if (this.ended) return { done: true, value: undefined };
      const change = this.pending.shift();
      if (change) {
        this.cursor = change.sequence;
        return { done: false, value: change };
      }
      if (!this.stale) {
        await new Promise<void>((resolve) => (this.waiter = resolve));
        continue;
      }
      this.stale = false;
      let page: Change[];
      try {
        page = await this.read(this.cursor);
      } catch (error) {
        // The client resumes from the last change it received; this stream no longer counts against its limit.
        this.end();
        throw error;
      }
      if (this.ended) continue;
      // A copy: the page may be shared with other streams at the same cursor.
      this.pending = [...page];
      if (page.length === STREAM_PAGE) this.stale = true;
    }
  }

  async return(): Promise<IteratorResult<Change>> {
    this.end();
    return { done: true, value: undefined };
  }

  /** Something may have committed: read the feed again before waiting. */
  wake(): void {
    this.stale = true;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.pending = [];
    this.onEnd(this);
    this.wake();
  }
}

/**
 * The live change streams of one server instance. One LISTEN per instance (open while any stream is) wakes every
 * stream when a change commits on any instance; each stream then reads the feed after its own cursor, so the
 * notification carries nothing and a lost one costs only a delay, never a change: when LISTEN takes effect again
 * after a lost connection, every stream reads again. Streams at the same cursor woken by the same notification
 * share one read. The tokens behind open streams are checked every `revocationCheckMs`; a revoked one's streams end.
 */
export function createChangeStreams({
  db,
  perPrincipal = DEFAULT_STREAMS_PER_PRINCIPAL,
  revocationCheckMs = REVOCATION_CHECK_MS,
}: ChangeStreamOptions): ChangeStreams {
  const streams = new Set<ChangeStream>();
  const byPrincipal = new Map<string, Set<ChangeStream>>();
  let listener: ChannelListener | undefined;
  let revocations: NodeJS.Timeout | undefined;
  let stoppedListening: Promise<void> = Promise.resolve();
  let closed = false;
  // Bumped by every wake: a read begun in the same generation began after every notification heard so far.
  let generation = 0;
  const reads = new Map<string, Promise<Change[]>>();

  const wakeAll = () => {
    generation += 1;
    for (const stream of streams) stream.wake();
  };

  const read = (after: bigint): Promise<Change[]> => {
    const key = `${generation}:${after}`;
    let shared = reads.get(key);
    if (!shared) {
      shared = changesAfter(db, after, STREAM_PAGE);
      reads.set(key, shared);
      const forget = () => reads.delete(key);
      shared.then(forget, forget);
    }
    return shared;
  };

  // A token is checked when its stream opens; one revoked since ends its streams (the client's next attempt is refused).
  const endRevoked = async () => {
    const rows = await db
      .query<{ id: string }>('SELECT id FROM api_tokens WHERE id = ANY($1::text[]) AND revoked_at IS NOT NULL', [[...byPrincipal.keys()]])
      // Unreachable, the database fails the streams' own reads; the next check tries again.
      .catch(() => []);
    for (const { id } of rows) for (const stream of [...(byPrincipal.get(id) ?? [])]) stream.end();
  };

  const release = (stream: ChangeStream, principalId: string) => {
    streams.delete(stream);
    const held = byPrincipal.get(principalId);
    held?.delete(stream);
    if (held?.size === 0) byPrincipal.delete(principalId);
    if (streams.size === 0) {
      clearInterval(revocations);
      revocations = undefined;
      if (listener) stoppedListening = listener.close();
      listener = undefined;
    }
  };

  return {
    open(principal, after) {
      if (closed) throw new StreamsClosedError();
      const held = byPrincipal.get(principal.id) ?? new Set<ChangeStream>();
      if (held.size >= perPrincipal) throw new StreamLimitError(principal, perPrincipal);
      const stream = new ChangeStream(after, read, (ended) => release(ended, principal.id));
      held.add(stream);
      byPrincipal.set(principal.id, held);
      streams.add(stream);
      listener ??= db.listen(CHANGES_CHANNEL, { notify: wakeAll, listening: wakeAll });
      revocations ??= setInterval(() => void endRevoked(), revocationCheckMs).unref();
      return stream;
    },
    openCount: () => streams.size,
    async close() {
      closed = true;
      for (const stream of [...streams]) stream.end();
      await stoppedListening;
    },
  };
}
