import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { packageDir } from './helpers.js';

const run = promisify(execFile);

/** Builds dist/ from the sources, under the lock every builder in this checkout shares. */
export async function buildCli(): Promise<void> {
  await run('flock', ['/tmp/omnibase-build.lock', 'npm', 'run', 'build'], { cwd: packageDir, timeout: 600_000, maxBuffer: 16 * 1024 * 1024 });
}

/** The environment a child sees: the test's own, with these entries set or (undefined) removed. */
function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const result: NodeJS.ProcessEnv = { ...process.env };
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete result[key];
    else result[key] = value;
  }
  return result;
}

export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node dist/cli/main.js <args…>` to its end, as a user's shell would. */
export async function omnibase(args: string[], env: Record<string, string | undefined>): Promise<CommandResult> {
  const child = spawn(process.execPath, ['dist/cli/main.js', ...args], { cwd: packageDir, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

export interface ServerProcess {
  readonly child: ChildProcess;
  /** The GraphQL URL the server logged when it started listening. */
  readonly url: string;
  output(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `omnibase serve` from dist/ and resolves once it logs that it listens. */
export async function startServer(args: string[], env: Record<string, string | undefined>): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['dist/cli/main.js', 'serve', ...args], {
    cwd: packageDir,
    env: childEnv({ OMNIBASE_LOG_LEVEL: 'info', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not listen within 90 s\n${output}`)), 90_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output += `${line}\n`;
      try {
        const entry = JSON.parse(line) as { msg?: unknown; url?: unknown };
        if (typeof entry.msg === 'string' && entry.msg.includes('registry listening') && typeof entry.url === 'string') {
          clearTimeout(timer);
          resolve(entry.url);
        }
      } catch {
        // Not a log line; kept in the output for the failure message.
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code}) before listening\n${output}`));
    });
  });
  return {
    child,
    url,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
