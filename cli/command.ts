import type { Writable } from 'node:stream';
import { Command } from 'clipanion';
import { exitCodeOf, isBug } from './exit-codes.js';
import { checkSettings, type SettingName } from './settings.js';

/**
 * Reports an error as `error: <message>` on stderr and returns the exit code it means (exitCodeOf). A bug's
 * stack follows its message, for the report someone will file.
 */
export function reportError(error: unknown, stderr: Writable): number {
  if (!(error instanceof Error)) {
    stderr.write(`error: ${String(error)}\n`);
    return exitCodeOf(error);
  }
  const message = error.message || String((error as { code?: unknown }).code ?? error.name);
  stderr.write(`error: ${message}\n`);
  if (isBug(error) && error.stack) stderr.write(`${error.stack}\n`);
  return exitCodeOf(error);
}

/**
 * Every omnibase command. It checks the settings it reads before anything else (a bad value is exit 2 before
 * a database or a network is touched), and its failures end as one `error: …` line on stderr with the exit
 * code they mean, instead of clipanion's default (the error and its stack on stdout, exit 1), which would
 * corrupt machine-read output.
 */
export abstract class RegistryCommand extends Command {
  /** The environment settings this command reads. */
  static settings: readonly SettingName[] = [];

  protected abstract run(): Promise<number>;

  protected get env(): NodeJS.ProcessEnv {
    return this.context.env ?? process.env;
  }

  override async execute(): Promise<number> {
    try {
      await checkSettings((this.constructor as typeof RegistryCommand).settings, this.env);
      return await this.run();
    } catch (error) {
      return reportError(error, this.context.stderr);
    }
  }
}
