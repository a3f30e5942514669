import type { Writable } from 'node:stream';
import { Command } from 'clipanion';
import { MigrationFailedError } from '../src/db/migrate.js';
import { DatabaseConfigError } from '../src/db/target.js';
import { ExitCode } from './exit-codes.js';

/**
 * Reports an error a command did not handle itself as `error: <message>` on stderr and returns the exit
 * code it means: a bad DATABASE_URL is invalid input (2), anything else unexpected (1). Errors that are
 * not operational (no known class, no system or SQLSTATE `code`) are bugs, so their stack follows.
 */
export function reportError(error: unknown, stderr: Writable): number {
  if (!(error instanceof Error)) {
    stderr.write(`error: ${String(error)}\n`);
    return ExitCode.Unexpected;
  }
  const message = error.message || String((error as { code?: unknown }).code ?? error.name);
  stderr.write(`error: ${message}\n`);
  if (error instanceof DatabaseConfigError) return ExitCode.InvalidInput;
  const operational = error instanceof MigrationFailedError || typeof (error as { code?: unknown }).code === 'string';
  if (!operational && error.stack) stderr.write(`${error.stack}\n`);
  return ExitCode.Unexpected;
}

/**
 * A command whose failures end as one `error: …` line on stderr with a meaningful exit code, instead of
 * clipanion's default (the error and its stack on stdout, exit 1), which would corrupt machine-read output.
 */
export abstract class RegistryCommand extends Command {
  protected abstract run(): Promise<number>;

  override async execute(): Promise<number> {
    try {
      return await this.run();
    } catch (error) {
      return reportError(error, this.context.stderr);
    }
  }
}
