import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { BaseContext } from 'clipanion';
import { runCli } from '../../cli/run.js';
import type { DatabaseTarget } from '../../src/db/target.js';
import { freshTarget, testEngine } from '../support/database.js';

/** The package folder, where `node --import tsx cli/main.ts` runs. */
export const packageDir = fileURLToPath(new URL('../..', import.meta.url));

class TextSink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.text += chunk.toString();
    callback();
  }
}

export interface CapturedContext {
  readonly context: BaseContext;
  stdout(): string;
  stderr(): string;
}

/** A clipanion context whose stdout and stderr are collected as text (no colours, empty stdin). */
export function captureContext(): CapturedContext {
  const stdout = new TextSink();
  const stderr = new TextSink();
  const stdin = new PassThrough();
  stdin.end();
  return {
    context: { stdin, stdout, stderr, env: process.env, colorDepth: 1 },
    stdout: () => stdout.text,
    stderr: () => stderr.text,
  };
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs one command line in-process, as `omnibase <argv…>` would. */
export async function cli(...argv: string[]): Promise<CliResult> {
  const captured = captureContext();
  const code = await runCli(argv, captured.context);
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

/** A temporary folder, removed by the returned cleanup. */
export async function tempDir(prefix = 'omnibase-cli-'): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes `text` to `name` in `dir` and returns the file's path. */
export async function writeTextFile(dir: string, name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

export const VALID_YAML = `schema_version: "0.3"
uuid: 6f1c2a9e-1111-4222-8333-444455556666
name: yaml-lint
version: 1.4.2
type: validator
tags: [yaml, canary]
`;

/** A database for CLI commands, which read it from the environment: a data dir (PGlite) or a fresh database. */
export interface CliDatabase {
  readonly target: DatabaseTarget;
  /** DATABASE_URL and OMNIBASE_DATA_DIR as a child process or `process.env` should see them (undefined: unset). */
  readonly env: { DATABASE_URL: string | undefined; OMNIBASE_DATA_DIR: string | undefined };
  dispose(): Promise<void>;
}

/** On PGlite a data dir that does not exist yet (the CLI creates it); on PostgreSQL a throwaway database. */
export async function cliDatabase(): Promise<CliDatabase> {
  if (testEngine === 'pglite') {
    const temp = await tempDir('omnibase-cli-db-');
    const dataDir = join(temp.dir, 'data');
    return {
      target: { engine: 'pglite', dataDir },
      env: { DATABASE_URL: undefined, OMNIBASE_DATA_DIR: dataDir },
      dispose: temp.remove,
    };
  }
  const fresh = await freshTarget();
  if (fresh.target.engine !== 'postgres') throw new Error('expected a PostgreSQL target');
  return { target: fresh.target, env: { DATABASE_URL: fresh.target.url, OMNIBASE_DATA_DIR: undefined }, dispose: fresh.dispose };
}

/** Sets (or, for undefined, deletes) process.env entries; returns a function that restores the old values. */
export function setEnv(values: Record<string, string | undefined>): () => void {
  const saved = Object.fromEntries(Object.keys(values).map((key) => [key, process.env[key]]));
  const apply = (entries: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(entries)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  apply(values);
  return () => apply(saved);
}
