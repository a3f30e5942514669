import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { findLocalToken } from '../src/auth/local-credential.js';
import { createToken } from '../src/auth/tokens.js';
import { openDatabase } from '../src/db/database.js';
import { versionSortKey } from '../src/metadata/version-key.js';
import { packageRoot } from '../src/paths.js';

export const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export interface Percentiles {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

export function percentiles(samples: number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  const round = (value: number) => Math.round(value * 100) / 100;
  return {
    count: sorted.length,
    p50: round(at(0.5)),
    p95: round(at(0.95)),
    p99: round(at(0.99)),
    max: round(sorted.at(-1)!),
    mean: round(sorted.reduce((sum, value) => sum + value, 0) / sorted.length),
  };
}

export async function machine() {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
  await client.end();
  return {
    cpu: `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown'}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    postgres: rows[0]!.server_version,
  };
}

export type Engine = 'postgres' | 'pglite';

export interface BenchServer {
  readonly url: string;
  /** The server's PostgreSQL database, for loading data directly. */
  readonly databaseUrl?: string;
  readonly process: ChildProcess;
  /** A token with both capabilities, for writes: the server's local credential, else one minted for the run. */
  token(): Promise<string>;
  stop(): Promise<void>;
}

export interface ServerOptions {
  /** OMNIBASE_RESPONSE_CACHE_ENTRIES for the server; 0 turns its response cache off. */
  readonly cacheEntries?: number;
  /** Serve this existing database instead of a fresh one (PostgreSQL only); it is left in place. */
  readonly databaseUrl?: string;
  /** Flags for the server's node, after BENCH_SERVER_NODE_ARGS (e.g. --cpu-prof). */
  readonly nodeArgs?: readonly string[];
}

/** A throwaway PostgreSQL database for one scenario; drop() removes it. */
export async function createBenchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `omnibase_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: ADMIN_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/**
 * SIGTERM, then SIGKILL if the process has not exited 30 s later: the suite must end even when a server
 * does not (its drain is bounded at 10 s by default, so this only catches a stuck one, and says so).
 */
async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    console.error(`process ${child.pid} did not exit within 30 s of SIGTERM; killing it`);
    child.kill('SIGKILL');
  }, 30_000);
  await exited;
  clearTimeout(timer);
}

/** The registry as users run it: its own process, a fresh database, reached over loopback HTTP. */
export async function startServer(engine: Engine, options: ServerOptions = {}): Promise<BenchServer> {
  const configDir = await mkdtemp(join(tmpdir(), 'omnibase-bench-config-'));
  const env: NodeJS.ProcessEnv = { ...process.env, OMNIBASE_LOG_LEVEL: 'warn', OMNIBASE_CONFIG_DIR: configDir };
  if (options.cacheEntries !== undefined) env.OMNIBASE_RESPONSE_CACHE_ENTRIES = String(options.cacheEntries);
  let cleanup: () => Promise<void>;
  if (engine === 'postgres' && options.databaseUrl) {
    env.DATABASE_URL = options.databaseUrl;
    cleanup = async () => {};
  } else if (engine === 'postgres') {
    const database = await createBenchDatabase();
    env.DATABASE_URL = database.url;
    cleanup = database.drop;
  } else {
    const dir = await mkdtemp(join(tmpdir(), 'omnibase-bench-'));
    delete env.DATABASE_URL;
    env.OMNIBASE_DATA_DIR = dir;
    cleanup = () => rm(dir, { recursive: true, force: true });
  }
  env.OMNIBASE_LOG_LEVEL = 'info';
  // BENCH_SERVER_NODE_ARGS passes flags to the server's node, e.g. --cpu-prof to profile it under load.
  const nodeArgs = [...(process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? []), ...(options.nodeArgs ?? [])];
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'cli/main.ts', 'serve', '--port', '0', '--migrate'], {
    cwd: packageRoot(),
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the server did not start within 60 s')), 60_000);
    child.once('exit', (code) => reject(new Error(`the server exited with ${code}`)));
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const entry = JSON.parse(line) as { url?: string; msg?: string };
      if (entry.url && entry.msg?.startsWith('registry listening')) {
        clearTimeout(timer);
        // From here on the request log is drained unread: parsing it would take the load generator's CPU.
        lines.close();
        // Closing readline paused the pipe; left paused, it fills and the server blocks writing its log.
        child.stdout!.on('data', () => {});
        child.stdout!.resume();
        resolve(entry.url);
      }
    });
  });
  const removeConfig = cleanup;
  cleanup = async () => {
    await removeConfig();
    await rm(configDir, { recursive: true, force: true });
  };
  let url: string;
  try {
    url = await listening;
  } catch (error) {
    child.kill('SIGKILL');
    await cleanup();
    throw error;
  }
  let stopping = false;
  child.once('exit', (code, signal) => {
    if (!stopping) console.error(`the server (pid ${child.pid}) exited unexpectedly: ${code ?? signal}`);
  });
  let token: Promise<string> | undefined;
  return {
    url,
    ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : {}),
    process: child,
    token() {
      token ??= (async () => {
        const local = process.env.OMNIBASE_TOKEN ?? (await findLocalToken(url, env));
        if (local) return local;
        if (!env.DATABASE_URL) throw new Error('the embedded server wrote no local credential, and its database is not reachable from here');
        const db = await openDatabase({ engine: 'postgres', url: env.DATABASE_URL }, { poolSize: 1 });
        try {
          return (await createToken(db, { name: 'bench', capabilities: ['REGISTRY_READ', 'REGISTRY_WRITE'] })).token;
        } finally {
          await db.close();
        }
      })();
      return token;
    },
    async stop() {
      stopping = true;
      await terminate(child);
      await cleanup();
    },
  };
}

/** One GraphQL call over HTTP; throws on any error so a benchmark never counts a failure as fast. */
export async function graphql<T = any>(url: string, query: string, variables?: Record<string, unknown>, token?: string): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    // A request that never returns fails the scenario instead of stalling the whole suite.
    signal: AbortSignal.timeout(Number(process.env.BENCH_REQUEST_TIMEOUT_MS ?? 120_000)),
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown[] };
  if (body.errors) throw new Error(`GraphQL error: ${JSON.stringify(body.errors)}`);
  return body.data as T;
}

const TAGS = ['yaml', 'json', 'lint', 'schema', 'canary', 'security', 'perf', 'docs', 'python', 'rust', 'k8s', 'sql'];

/** The seeded component number `index`: names come in versions of 5, tags from a fixed set of 12, two or three each. */
export function seededComponent(index: number) {
  const name = `component-${Math.floor(index / 5)}`;
  const version = `1.${index % 5}.0`;
  const tags = [TAGS[index % 12]!, TAGS[(index * 7 + 3) % 12]!, ...(index % 3 === 0 ? [TAGS[(index * 5 + 1) % 12]!] : [])];
  return {
    schema_version: '0.3',
    uuid: uuidOf(index),
    name,
    version,
    type: (['validator', 'tool', 'test'] as const)[index % 3]!,
    lifecycle: 'active',
    description: `Benchmark component number ${index}, checks documents of kind ${index % 17}`,
    owner: `team-${index % 20}`,
    tags: [...new Set(tags)],
  };
}

/** Deterministic uuids, so a scenario can name any seeded component without a lookup. */
export function uuidOf(index: number): string {
  const hex = index.toString(16).padStart(12, '0');
  return `0b5e1e00-0000-4000-8000-${hex}`;
}

/**
 * Seeds `count` components (and their first revision) straight into the database, 5,000 rows per statement:
 * loading is not what the benchmarks measure.
 */
export async function seedComponents(databaseUrl: string, count: number, from = 0): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (let start = from; start < from + count; start += 5000) {
      const batch = Array.from({ length: Math.min(5000, from + count - start) }, (_, offset) => seededComponent(start + offset));
      await client.query(
        `WITH rows AS (
           SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::component_type[], $6::text[], $7::text[], $8::text[], $9::jsonb[])
             AS t(uuid, name, version, version_key, type, description, owner, tags, document)
         ), inserted AS (
           INSERT INTO components (uuid, name, version, version_key, type, lifecycle, description, owner, tags, document, revision)
           SELECT uuid, name, version, version_key, type, 'ACTIVE', description, owner, string_to_array(tags, ','), document, 1 FROM rows
           RETURNING uuid, document
         )
         INSERT INTO component_revisions (component_uuid, revision, document) SELECT uuid, 1, document FROM inserted`,
        [
          batch.map((c) => c.uuid),
          batch.map((c) => c.name),
          batch.map((c) => c.version),
          batch.map((c) => versionSortKey(c.version)),
          batch.map((c) => c.type.toUpperCase()),
          batch.map((c) => c.description),
          batch.map((c) => c.owner),
          batch.map((c) => c.tags.join(',')),
          batch.map((c) => JSON.stringify(c)),
        ],
      );
    }
    // Vacuumed as well as analysed: otherwise autovacuum visits the fresh rows in the middle of the measurement.
    await client.query('VACUUM ANALYZE');
  } finally {
    await client.end();
  }
}

/** The bare `node:http` + `pg` endpoint of bench/baseline-server.ts, as its own process. */
export async function startBaseline(databaseUrl: string): Promise<{ url: string; process: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/baseline-server.ts'], {
    cwd: packageRoot(),
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the baseline server did not start within 60 s')), 60_000);
    child.once('exit', (code) => reject(new Error(`the baseline server exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /^listening (\S+)/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
  });
  return {
    url,
    process: child,
    stop: () => terminate(child),
  };
}
