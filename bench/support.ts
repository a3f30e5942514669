import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
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
  stop(): Promise<void>;
}

/** The registry as users run it: its own process, a fresh database, reached over loopback HTTP. */
export async function startServer(engine: Engine): Promise<BenchServer> {
  const env: NodeJS.ProcessEnv = { ...process.env, OMNIBASE_LOG_LEVEL: 'warn' };
  let cleanup: () => Promise<void>;
  if (engine === 'postgres') {
    const name = `omnibase_bench_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(ADMIN_URL);
    url.pathname = `/${name}`;
    env.DATABASE_URL = url.toString();
    cleanup = async () => {
      const client = new pg.Client({ connectionString: ADMIN_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    };
  } else {
    const dir = await mkdtemp(join(tmpdir(), 'omnibase-bench-'));
    delete env.DATABASE_URL;
    env.OMNIBASE_DATA_DIR = dir;
    cleanup = () => rm(dir, { recursive: true, force: true });
  }
  env.OMNIBASE_LOG_LEVEL = 'info';
  // BENCH_SERVER_NODE_ARGS passes flags to the server's node, e.g. --cpu-prof to profile it under load.
  const nodeArgs = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'cli/main.ts', 'serve', '--port', '0', '--migrate'], {
    cwd: packageRoot(),
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the server did not start within 60 s')), 60_000);
    child.once('exit', (code) => reject(new Error(`the server exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as { url?: string; msg?: string };
      if (entry.url && entry.msg?.startsWith('registry listening')) {
        clearTimeout(timer);
        resolve(entry.url);
      }
    });
  });
  let url: string;
  try {
    url = await listening;
  } catch (error) {
    child.kill('SIGKILL');
    await cleanup();
    throw error;
  }
  return {
    url,
    ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : {}),
    process: child,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      await cleanup();
    },
  };
}

/** One GraphQL call over HTTP; throws on any error so a benchmark never counts a failure as fast. */
export async function graphql<T = any>(url: string, query: string, variables?: Record<string, unknown>): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown[] };
  if (body.errors) throw new Error(`GraphQL error: ${JSON.stringify(body.errors)}`);
  return body.data as T;
}
