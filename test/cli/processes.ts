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

/**
 * Which build a child runs: the sources through tsx (no build step, so a test sees the code as it is now), or
 * dist/ as a user installs it (acceptance tests, after buildCli()).
 */
export type Build = 'sources' | 'dist';

function commandLine(build: Build, args: readonly string[]): string[] {
  return build === 'dist' ? ['dist/cli/main.js', ...args] : ['--import', 'tsx', 'cli/main.ts', ...args];
}

export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `omnibase <args…>` to its end, as a user's shell would (from dist/ unless told otherwise). */
export async function omnibase(args: string[], env: Record<string, string | undefined>, build: Build = 'dist'): Promise<CommandResult> {
  const child = spawn(process.execPath, commandLine(build, args), { cwd: packageDir, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

/** A running `omnibase` process, usually `serve`. */
export interface OmnibaseProcess {
  readonly child: ChildProcess;
  /** The GraphQL URL once the server logs that it listens; rejects if the process exits first. */
  readonly listening: Promise<string>;
  /** The exit code, or the signal that ended the process. */
  readonly exited: Promise<number | NodeJS.Signals>;
  /** Every JSON log line on stdout so far. */
  logs(): Array<Record<string, any>>;
  stdout(): string;
  stderr(): string;
  /** SIGTERM (unless it has ended already), then the exit code. */
  stop(): Promise<number | NodeJS.Signals>;
}

const children = new Set<ChildProcess>();

/**
 * Starts `omnibase <args…>` as its own process with `env` over the test's own (logging at info, so the
 * listening line is there to wait for). The one way tests start a server process; killChildren() ends them.
 */
export function startOmnibase(args: string[], env: Record<string, string | undefined>, build: Build = 'sources'): OmnibaseProcess {
  const child = spawn(process.execPath, commandLine(build, args), {
    cwd: packageDir,
    env: childEnv({ OMNIBASE_LOG_LEVEL: 'info', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const logs: Array<Record<string, any>> = [];
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | NodeJS.Signals>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`omnibase ${args.join(' ')} did not listen within 90 s\n${stdout}${stderr}`)), 90_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      stdout += `${line}\n`;
      let entry: Record<string, any>;
      try {
        entry = JSON.parse(line);
      } catch {
        return; // Not a log line; kept in stdout for the failure message.
      }
      logs.push(entry);
      if (typeof entry.msg === 'string' && entry.msg.includes('registry listening') && typeof entry.url === 'string') {
        clearTimeout(timer);
        resolve(entry.url);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`omnibase ${args.join(' ')} exited (${code}) before listening\n${stdout}${stderr}`));
    });
  });
  listening.catch(() => {}); // Tests that expect an early exit never await it.
  return {
    child,
    listening,
    exited,
    logs: () => logs,
    stdout: () => stdout,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Kills (SIGKILL) whatever startOmnibase started and is still running; for afterEach/afterAll. */
export async function killChildren(): Promise<void> {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      const exit = once(child, 'exit');
      child.kill('SIGKILL');
      await exit;
    }
  }
  children.clear();
}
