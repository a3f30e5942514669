import pg from 'pg';
import type { Database } from '../db/database.js';

/** A component a write touched: answers that read it are no longer current. */
export interface WrittenComponent {
  readonly uuid: string;
  readonly name: string;
}

/** What changed since the head was last read, told to every listener before any caller sees the new head. */
export interface HeadDelta {
  /** Everything must be forgotten: the feed was replaced (TRUNCATE, a restore) or moved too far to list. */
  readonly reset: boolean;
  /** The components written since the last read, oldest first (empty on a reset). */
  readonly written: readonly WrittenComponent[];
  /** Every revoked token's id, when a revocation committed since the last read; null otherwise. */
  readonly revokedTokens: readonly string[] | null;
}

/**
 * Where the registry stands: the change feed's position and the number of revoked tokens. Two equal heads
 * mean no write and no revocation committed between the reads that produced them, so an answer computed
 * after `current()` returned h is still correct while `current()` returns h.
 */
export interface RegistryHead {
  /**
   * The head as seen by a statement that began after this call; every write and revocation acknowledged
   * before it is counted. Asked again for the same `request`, the same answer, so one request costs one read.
   */
  current(request?: object): Promise<string>;
  /** Listeners hear every delta, in order, before the head that follows it is returned to anyone. */
  subscribe(listener: (delta: HeadDelta) => void): void;
  close(): Promise<void>;
}

/** The most written components one read lists; past that, listeners are told to forget everything. */
const MAX_DELTA = 1000;

// One statement, one snapshot: the feed's identity (TRUNCATE or a restore makes a new file, so a feed that
// starts again from 1 never repeats a head), its position, the revocations, and what was written after the
// position last read ($1, or nothing on the first read) with each component's name (names never change).
// Feed numbers become visible in commit order (the write-order lock), so nothing can appear behind $1 later.
const HEAD_SQL = `
  SELECT pg_relation_filenode('changes'::regclass)::text AS file,
         coalesce((SELECT max(sequence) FROM changes), 0)::text AS sequence,
         (SELECT count(*) FROM api_tokens WHERE revoked_at IS NOT NULL)::int AS revoked,
         CASE WHEN $1::bigint IS NOT NULL THEN
           (SELECT coalesce(json_agg(json_build_object('uuid', w.uuid, 'name', w.name)), '[]'::json)
              FROM (SELECT c.component_uuid::text AS uuid, k.name FROM changes c JOIN components k ON k.uuid = c.component_uuid
                     WHERE c.sequence > $1::bigint ORDER BY c.sequence LIMIT ${MAX_DELTA + 1}) w)
         END AS written,
         CASE WHEN $2::int IS DISTINCT FROM (SELECT count(*) FROM api_tokens WHERE revoked_at IS NOT NULL) THEN
           (SELECT coalesce(json_agg(id), '[]'::json) FROM api_tokens WHERE revoked_at IS NOT NULL)
         END AS "revokedTokens"`;

interface HeadRow {
  file: string;
  sequence: string;
  revoked: number;
  written: WrittenComponent[] | null;
  revokedTokens: string[] | null;
}

/**
 * Runs `read` for callers arriving together, but only a read sent after they arrived: one already on the
 * wire may have taken its snapshot before a write that was acknowledged just before they came in.
 */
function coalesced<T>(read: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | undefined;
  let queued: Promise<T> | undefined;
  const send = () => {
    const sent = read();
    inFlight = sent;
    const settle = () => {
      if (inFlight === sent) inFlight = undefined;
    };
    sent.then(settle, settle);
    return sent;
  };
  return () => {
    if (!inFlight) return send();
    queued ??= inFlight
      .catch(() => undefined)
      .then(() => {
        queued = undefined;
        return send();
      });
    return queued;
  };
}

/** The head over any way of running its statement: it keeps what it last read and tells listeners the difference. */
function registryHead(query: (sql: string, params: unknown[]) => Promise<HeadRow>, close: () => Promise<void>): RegistryHead {
  const listeners: Array<(delta: HeadDelta) => void> = [];
  let file: string | undefined;
  let sequence: string | null = null;
  let revoked: number | null = null;
  const perRequest = new WeakMap<object, Promise<string>>();

  const read = coalesced(async () => {
    const row = await query(HEAD_SQL, [sequence, revoked]);
    const reset = row.file !== file || row.written === null || row.written.length > MAX_DELTA;
    const delta: HeadDelta = { reset, written: reset ? [] : row.written!, revokedTokens: row.revokedTokens };
    if (reset || delta.written.length > 0 || delta.revokedTokens !== null) for (const listener of listeners) listener(delta);
    file = row.file;
    sequence = row.sequence;
    revoked = row.revoked;
    return `${row.file}:${row.sequence}:${row.revoked}`;
  });

  return {
    current(request) {
      if (!request) return read();
      let answer = perRequest.get(request);
      if (!answer) {
        answer = read();
        perRequest.set(request, answer);
      }
      return answer;
    },
    subscribe: (listener) => void listeners.push(listener),
    close,
  };
}

/**
 * The head read through the registry's own database handle, on a session outside any statement log: for
 * the embedded database (one process, in-process queries) and for servers built in tests.
 */
export function databaseHead(db: Database): RegistryHead {
  return registryHead(
    async (sql, params) => (await db.withSession((session) => session.query<HeadRow>(sql, params)))[0]!,
    () => Promise.resolve(),
  );
}

/**
 * For PostgreSQL, shared by any number of instances: read on a connection of its own, so it never waits
 * for the pool, and replaced when the server closes it.
 */
export function postgresHead(connectionString: string): RegistryHead {
  let live: pg.Client | undefined;
  let connecting: Promise<pg.Client> | undefined;
  let closed = false;

  function connection(): Promise<pg.Client> {
    if (live) return Promise.resolve(live);
    connecting ??= (async () => {
      // A probe that gets no answer fails (and its request runs uncached) instead of waiting for ever.
      const fresh = new pg.Client({ connectionString, keepAlive: true, connectionTimeoutMillis: 10_000, query_timeout: 10_000 });
      const forget = () => {
        if (live === fresh) live = undefined;
      };
      fresh.on('error', forget);
      fresh.on('end', forget);
      try {
        await fresh.connect();
        live = fresh;
        return fresh;
      } finally {
        connecting = undefined;
      }
    })();
    return connecting;
  }

  return registryHead(
    async (sql, params) => {
      if (closed) throw new Error('the registry head is closed');
      const connected = await connection();
      try {
        return (await connected.query<HeadRow>(sql, params)).rows[0]!;
      } catch (error) {
        if (live === connected) live = undefined;
        void connected.end().catch(() => {});
        throw error;
      }
    },
    async () => {
      closed = true;
      const current = live ?? (await connecting?.catch(() => undefined));
      live = undefined;
      await current?.end().catch(() => {});
    },
  );
}
