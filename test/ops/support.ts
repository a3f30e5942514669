import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { findLocalToken } from '../../src/auth/local-credential.js';
import { packageDir } from '../cli/helpers.js';

export { packageDir };

/** A temporary folder, removed by the returned cleanup. */
export async function tempDir(prefix: string): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface HttpResult {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: any;
}

/**
 * Authorization for a client of `url`: OMNIBASE_TOKEN, else the local credential a loopback server wrote under
 * env.OMNIBASE_CONFIG_DIR; none while the server writes none (every request may read and write then).
 */
export async function authorization(url: string, env: NodeJS.ProcessEnv): Promise<Record<string, string>> {
  const token = env.OMNIBASE_TOKEN ?? (await findLocalToken(url, env));
  return token ? { authorization: `Bearer ${token}` } : {};
}

/**
 * One request on its own connection (no keep-alive), so each request's fate is its own: refused at connect,
 * reset, or answered.
 */
export function httpRequest(
  url: string,
  { method = 'GET', headers = {}, body }: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<HttpResult> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent: false,
        headers: { ...(payload ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) } : {}), ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // Not JSON (metrics text): the caller gets the text.
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** A GraphQL client of `url` sending the registry's authorization, one connection per request. */
export function graphqlClient(url: string, env: NodeJS.ProcessEnv) {
  return async (query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}): Promise<HttpResult> =>
    httpRequest(url, { method: 'POST', headers: { ...(await authorization(url, env)), ...headers }, body: { query, variables } });
}

/** Where initdb and pg_ctl live: PG_BIN, else the newest /usr/lib/postgresql/<version>/bin, else PATH; undefined when none. */
export function postgresBinDir(): string | undefined {
  const candidates: string[] = [];
  if (process.env.PG_BIN) candidates.push(process.env.PG_BIN);
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((version) => join(debian, version, 'bin')));
  }
  for (const dir of candidates) if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  const which = spawnSync('sh', ['-c', 'dirname "$(command -v pg_ctl)"'], { encoding: 'utf8' });
  const onPath = which.status === 0 ? which.stdout.trim() : '';
  return onPath && existsSync(join(onPath, 'initdb')) ? onPath : undefined;
}

/**
 * A PostgreSQL server of the test's own: its data directory, socket directory and port. initdb refuses to run as
 * root, so as root the server runs as the `postgres` user.
 */
export class PostgresInstance {
  private constructor(
    readonly binDir: string,
    readonly root: string,
    readonly port: number,
    private readonly asUser: string | undefined,
  ) {}

  get dataDir(): string {
    return join(this.root, 'data');
  }

  get socketDir(): string {
    return join(this.root, 'socket');
  }

  /** postgresql:// URL of `database` on this server (user postgres, trust authentication). */
  url(database = 'postgres'): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/${database}`;
  }

  static async create(binDir: string): Promise<PostgresInstance> {
    const root = await mkdtemp(join(tmpdir(), 'omnibase-pg-'));
    const asUser = userInfo().uid === 0 ? 'postgres' : undefined;
    const instance = new PostgresInstance(binDir, root, await freePort(), asUser);
    mkdirSync(instance.socketDir);
    if (asUser) {
      const owner = spawnSync('id', ['-u', asUser], { encoding: 'utf8' });
      const group = spawnSync('id', ['-g', asUser], { encoding: 'utf8' });
      const [uid, gid] = [Number(owner.stdout), Number(group.stdout)];
      chownSync(root, uid, gid);
      chownSync(instance.socketDir, uid, gid);
    }
    instance.run('initdb', ['-D', instance.dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale', 'C']);
    await instance.start();
    return instance;
  }

  private run(program: string, args: string[]): string {
    const command = join(this.binDir, program);
    const [file, argv] = this.asUser ? ['runuser', ['-u', this.asUser, '--', command, ...args]] : [command, args];
    const result = spawnSync(file, argv, { encoding: 'utf8', cwd: this.root });
    if (result.status !== 0) throw new Error(`${program} ${args.join(' ')} failed (${result.status}): ${result.stderr}${result.stdout}`);
    return result.stdout;
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    const options = `-p ${this.port} -k ${this.socketDir} -c listen_addresses=127.0.0.1 -c max_connections=50`;
    this.run('pg_ctl', ['-D', this.dataDir, '-o', options, '-l', join(this.root, 'server.log'), '-w', '-t', '60', 'start']);
  }

  /** Stops the server: `immediate` is a crash (no checkpoint; recovery replays the WAL at the next start). */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    this.run('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
  }

  async dispose(): Promise<void> {
    if (existsSync(join(this.dataDir, 'postmaster.pid'))) await this.stop('immediate');
    await rm(this.root, { recursive: true, force: true });
  }
}
