import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from '../generated/prisma/client.js';
import { lockDataDir } from './data-dir-lock.js';
import type { DatabaseTarget } from './target.js';

/** Raw SQL on one connection, for the work Prisma's client cannot do: multi-statement scripts and session locks. */
export interface SqlSession {
  exec(script: string): Promise<void>;
  query<Row>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
}

export interface Database {
  readonly engine: DatabaseTarget['engine'];
  readonly prisma: PrismaClient;
  /**
   * One read outside any transaction, straight through the driver: for large result sets, where Prisma's
   * conversion of raw rows would cost more than the query. A statement given a `prepared` name (one name, one
   * text) is prepared once per connection, so PostgreSQL can keep its plan instead of planning it at every call;
   * PGlite ignores the name.
   */
  query<Row>(sql: string, params?: readonly unknown[], prepared?: string): Promise<Row[]>;
  /** Connections of the pool: PGlite is always one connection, never waited for by anything but itself. */
  poolStats(): { total: number; idle: number; waiting: number };
  /** Runs `work` on one dedicated connection, released afterwards. */
  withSession<T>(work: (session: SqlSession) => Promise<T>): Promise<T>;
  /**
   * One statement on a connection for writes, committed on its own as it returns: a lock the statement takes
   * is held until that commit and never while a round trip waits for the server's event loop.
   */
  writeStatement<Row>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** A write transaction on a connection for writes: committed when `work` resolves, rolled back when it throws. */
  writeTransaction<T>(work: (tx: SqlSession) => Promise<T>): Promise<T>;
  /**
   * Listens for notifications on `channel` (PostgreSQL LISTEN) until the returned handle is closed: on PostgreSQL
   * on a connection of its own, replaced whenever it is lost. Notifications sent while no connection listened are
   * never delivered, so `handlers.listening` is called each time LISTEN takes effect, the first time included.
   */
  listen(channel: string, handlers: ListenHandlers): ChannelListener;
  close(): Promise<void>;
}

export interface ListenHandlers {
  /** A notification arrived on the channel. */
  notify(payload: string): void;
  /** LISTEN took effect: anything notified before this call was not heard. */
  listening(): void;
}

export interface ChannelListener {
  /** Stops listening and closes the connection; nothing is delivered afterwards. */
  close(): Promise<void>;
}

/** How a listening connection is told apart in pg_stat_activity. */
export const LISTENER_APPLICATION_NAME = 'omnibase-listener';
/** How often a listening connection is asked for a reply: a peer gone silent is noticed within this, plus the reply's bound. */
const LISTENER_PROBE_MS = 15_000;

export interface OpenDatabaseOptions {
  /** Connections in the PostgreSQL pool. */
  poolSize?: number;
  /** Connections for write transactions on PostgreSQL, beside the pool's; later writes wait for one. */
  writeSlots?: number;
  /** Called with the SQL of every statement the client sends, e.g. to record round trips in tests. */
  onQuery?: (sql: string) => void;
}

/**
 * Connections for writes. A write's rows go in concurrently, its change-feed row and commit one at a time
 * (the order lock, taken inside the write's one statement), so a few connections keep that queue full.
 */
export const DEFAULT_WRITE_SLOTS = 4;

// Interactive transactions wait for a pooled connection under load; Prisma's 2 s / 5 s defaults are too tight.
const TRANSACTION_OPTIONS = { maxWait: 10_000, timeout: 20_000 } as const;

/** How long getting a PostgreSQL connection (opening one, or waiting for a busy pool) may take before the request fails. */
export const CONNECT_TIMEOUT_MS = 10_000;

export async function openDatabase(target: DatabaseTarget, options: OpenDatabaseOptions = {}): Promise<Database> {
  return target.engine === 'postgres' ? openPostgres(target.url, options) : openPGlite(target.dataDir, options);
}

function createClient(adapter: PrismaPg | PrismaPGlite, options: OpenDatabaseOptions): PrismaClient {
  const prisma = new PrismaClient({
    adapter,
    transactionOptions: TRANSACTION_OPTIONS,
    log: options.onQuery ? [{ emit: 'event', level: 'query' }] : [],
  });
  if (options.onQuery) {
    const onQuery = options.onQuery;
    prisma.$on('query' as never, (event: { query: string }) => onQuery(event.query));
  }
  return prisma;
}

/** A pg pool that survives the database going away: no crash on a lost connection, a bound on connecting. */
function resilientPool(url: string, max: number): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    // PostgreSQL's JIT compiles a query's expressions once its estimated cost passes jit_above_cost. The registry's
    // recursive walks are estimated far above what they read, and compiling one took 2.5 s of a 2.8 s retirement
    // whose walk ran in 80 ms: no statement of an OLTP registry gains from it.
    options: '-c jit=off',
    // While the database is away, a request fails within this bound instead of waiting on a connect that hangs.
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    // A peer that vanished without closing (host down, network cut) is noticed by TCP keepalive, not never.
    keepAlive: true,
  });
  // An idle client that loses its connection must not crash the process; the next query reports it.
  pool.on('error', () => {});
  // Nor may a checked-out client between two queries (a session, a transaction): pg-pool listens only to idle ones.
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

/**
 * LISTEN on a connection outside the pools, for as long as the handle is open: a connection that errors, ends or
 * stops answering the periodic probe is replaced (after 0.1 s, doubling to 5 s while the server stays away).
 */
function listenPostgres(url: string, channel: string, handlers: ListenHandlers): ChannelListener {
  let closed = false;
  let current: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let backoffMs = 100;
  const connect = async () => {
    retry = undefined;
    const client = new pg.Client({
      connectionString: url,
      application_name: LISTENER_APPLICATION_NAME,
      keepAlive: true,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      query_timeout: CONNECT_TIMEOUT_MS,
    });
    let lost = false;
    let probe: NodeJS.Timeout | undefined;
    const replace = () => {
      if (lost) return;
      lost = true;
      clearInterval(probe);
      if (current === client) current = undefined;
      void client.end().catch(() => {});
      if (!closed) retry = setTimeout(() => void connect(), backoffMs);
      backoffMs = Math.min(backoffMs * 2, 5_000);
    };
    client.on('error', replace);
    client.on('end', replace);
    client.on('notification', (message) => {
      if (message.channel === channel) handlers.notify(message.payload ?? '');
    });
    current = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
    } catch {
      replace();
      return;
    }
    if (lost) return;
    backoffMs = 100;
    probe = setInterval(() => void client.query('SELECT 1').catch(replace), LISTENER_PROBE_MS);
    probe.unref();
    handlers.listening();
  };
  void connect();
  return {
    async close() {
      closed = true;
      clearTimeout(retry);
      const client = current;
      current = undefined;
      await client?.end().catch(() => {});
    },
  };
}

async function openPostgres(url: string, options: OpenDatabaseOptions): Promise<Database> {
  const pool = resilientPool(url, options.poolSize ?? 10);
  // Writes have connections of their own: behind hundreds of queued reads, a write that holds the change
  // feed's lock would wait its turn for every statement; and queued writes never take a reader's connection.
  const writePool = resilientPool(url, options.writeSlots ?? DEFAULT_WRITE_SLOTS);
  const prisma = createClient(new PrismaPg(pool), options);
  const listeners = new Set<ChannelListener>();
  // Sessions for writes report their statements to onQuery; the others (migrations, the write head) do not.
  const sessionOf = (client: pg.PoolClient, onQuery?: (sql: string) => void): SqlSession => ({
    async exec(script) {
      onQuery?.(script);
      await client.query(script);
    },
    async query<Row>(sql: string, params: readonly unknown[] = []) {
      onQuery?.(sql);
      return (await client.query(sql, [...params])).rows as Row[];
    },
  });
  return {
    engine: 'postgres',
    prisma,
    async writeStatement<Row>(sql: string, params: readonly unknown[] = []) {
      options.onQuery?.(sql);
      return (await writePool.query(sql, [...params])).rows as Row[];
    },
    async writeTransaction(work) {
      const client = await writePool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(sessionOf(client, options.onQuery));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    async query<Row>(sql: string, params: readonly unknown[] = [], prepared?: string) {
      options.onQuery?.(sql);
      return (await pool.query(prepared ? { name: prepared, text: sql, values: [...params] } : { text: sql, values: [...params] })).rows as Row[];
    },
    poolStats: () => ({
      total: pool.totalCount + writePool.totalCount,
      idle: pool.idleCount + writePool.idleCount,
      waiting: pool.waitingCount + writePool.waitingCount,
    }),
    async withSession(work) {
      const client = await pool.connect();
      try {
        return await work(sessionOf(client));
      } finally {
        client.release();
      }
    },
    listen(channel, handlers) {
      const listener = listenPostgres(url, channel, handlers);
      listeners.add(listener);
      return {
        close: () => {
          listeners.delete(listener);
          return listener.close();
        },
      };
    },
    async close() {
      await Promise.all([...listeners].map((listener) => listener.close()));
      await prisma.$disconnect();
      await Promise.all([pool.end(), writePool.end()]);
    },
  };
}

async function openPGlite(dataDir: string | undefined, options: OpenDatabaseOptions): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const release = dataDir ? lockDataDir(dataDir) : () => {};
  let pglite: PGlite;
  try {
    pglite = await PGlite.create(dataDir ? { dataDir } : {});
  } catch (error) {
    release();
    throw error;
  }
  const prisma = createClient(new PrismaPGlite(pglite), options);
  return {
    engine: 'pglite',
    prisma,
    // One connection: statements and transactions already take turns on it.
    async writeStatement<Row>(sql: string, params: readonly unknown[] = []) {
      options.onQuery?.(sql);
      return (await pglite.query<Row>(sql, [...params])).rows;
    },
    writeTransaction: (work) =>
      pglite.transaction((tx) =>
        work({
          async exec(script) {
            options.onQuery?.(script);
            await tx.exec(script);
          },
          async query<Row>(sql: string, params: readonly unknown[] = []) {
            options.onQuery?.(sql);
            return (await tx.query<Row>(sql, [...params])).rows;
          },
        }),
      ),
    async query<Row>(sql: string, params: readonly unknown[] = []) {
      options.onQuery?.(sql);
      return (await pglite.query<Row>(sql, [...params])).rows;
    },
    poolStats: () => ({ total: 1, idle: 1, waiting: 0 }),
    // PGlite is one connection already; its own mutex keeps statements from interleaving with a transaction.
    withSession: (work) =>
      work({
        async exec(script) {
          await pglite.exec(script);
        },
        async query<Row>(sql: string, params: readonly unknown[] = []) {
          return (await pglite.query<Row>(sql, [...params])).rows;
        },
      }),
    // PGlite delivers a NOTIFY to the listeners of its own process when the statement or transaction commits.
    listen(channel, handlers) {
      const unlisten = pglite.listen(channel, handlers.notify).then((stop) => {
        handlers.listening();
        return stop;
      });
      return { close: () => unlisten.then((stop) => stop()).catch(() => {}) };
    },
    async close() {
      try {
        await prisma.$disconnect();
        await pglite.close();
      } finally {
        release();
      }
    },
  };
}
