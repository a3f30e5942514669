import pg from 'pg';
import type { Database } from '../db/database.js';

/**
 * Where the registry's writes stand. Two answers are equal only if no write committed between the reads
 * that produced them, so an answer computed after `current()` returned h is still correct while `current()`
 * returns h.
 */
export interface WriteHead {
  /** The head as seen by a statement that began after this call: every write acknowledged before it is counted. */
  current(): Promise<string>;
  close(): Promise<void>;
}

// The change feed's position, and the identity of its table: TRUNCATE or a restore makes a new file, so a
// feed that starts again from 1 never repeats an earlier head. max() runs as a backward scan of the key.
const HEAD_SQL = `SELECT pg_relation_filenode('changes'::regclass)::text || ':' || coalesce(max(sequence), 0)::text AS head FROM changes`;

/**
 * Runs `read` for callers arriving together, but only a read sent after they arrived: one already on the
 * wire may have taken its snapshot before a write that was acknowledged just before they came in.
 */
function coalesced(read: () => Promise<string>): () => Promise<string> {
  let inFlight: Promise<string> | undefined;
  let queued: Promise<string> | undefined;
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

/**
 * The head read through the registry's own database handle, on a session outside any statement log: for
 * the embedded database (one process, in-process queries) and for servers built in tests.
 */
export function databaseWriteHead(db: Database): WriteHead {
  return {
    current: coalesced(async () => (await db.withSession((session) => session.query<{ head: string }>(HEAD_SQL)))[0]!.head),
    close: () => Promise.resolve(),
  };
}

/**
 * For PostgreSQL, shared by any number of instances: the head is the change feed's last committed sequence,
 * read on a connection of its own so it never waits for the pool. Every write records a change under the
 * lock that orders commits (src/resolvers/changes.ts), so the visible maximum moves with every commit and
 * never skips back.
 */
export function postgresWriteHead(connectionString: string): WriteHead {
  let live: pg.Client | undefined;
  let connecting: Promise<pg.Client> | undefined;
  let closed = false;

  function connection(): Promise<pg.Client> {
    if (live) return Promise.resolve(live);
    connecting ??= (async () => {
      // A probe that gets no answer fails (and its request runs uncached) instead of waiting for ever.
      const fresh = new pg.Client({ connectionString, keepAlive: true, connectionTimeoutMillis: 10_000, query_timeout: 10_000 });
      // A connection the server closed is replaced at the next probe.
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

  return {
    current: coalesced(async () => {
      if (closed) throw new Error('the write head is closed');
      const connected = await connection();
      try {
        const { rows } = await connected.query<{ head: string }>(HEAD_SQL);
        return rows[0]!.head;
      } catch (error) {
        if (live === connected) live = undefined;
        void connected.end().catch(() => {});
        throw error;
      }
    }),
    async close() {
      closed = true;
      const current = live ?? (await connecting?.catch(() => undefined));
      live = undefined;
      await current?.end().catch(() => {});
    },
  };
}
