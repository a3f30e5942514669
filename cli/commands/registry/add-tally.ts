import type { Writable } from 'node:stream';
import { ExitCode, exitCodeOf } from '../../exit-codes.js';

/** What happened to the files of a `registry add`: the summary line, and the exit code of the first failure. */
export class Tally {
  registered = 0;
  unchanged = 0;
  refused = 0;
  /** The other documents of a chunk the registry refused: the chunk is all or nothing. */
  rolledBack = 0;
  /** Sent without an answer: maybe registered, maybe not. */
  unconfirmed = 0;
  notSent = 0;
  exitCode: number = ExitCode.Ok;

  constructor(
    private readonly stderr: Writable,
    /** A dry run: the counts say what would happen, and nothing was written. */
    private readonly dryRun = false,
  ) {}

  /** Reports a failure on stderr; the first one decides the exit code. */
  fail(error: unknown, text: string): void {
    this.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
    if (this.exitCode === ExitCode.Ok) this.exitCode = exitCodeOf(error);
  }

  /** A document the registry will not take, reported on stderr. */
  refuse(error: unknown, text: string): void {
    this.refused += 1;
    this.fail(error, text);
  }

  summary(): string {
    const would = this.dryRun ? 'would register' : 'registered';
    const parts = [`${would} ${this.registered}`, `unchanged ${this.unchanged}`, `refused ${this.refused}`];
    if (this.rolledBack) parts.push(this.dryRun ? `not checked ${this.rolledBack} (in a refused chunk)` : `not registered ${this.rolledBack} (with the refused chunk)`);
    if (this.unconfirmed) parts.push(`unconfirmed ${this.unconfirmed} (sent without an answer)`);
    if (this.notSent) parts.push(`not sent ${this.notSent}`);
    return `${this.dryRun ? 'dry run, nothing written: ' : ''}${parts.join(', ')}\n`;
  }
}

export interface Progress {
  increment(by: number): void;
  stop(): void;
}

/** A progress bar on stderr while documents are sent, only when stderr is a terminal. */
export async function progressBar(stderr: Writable & { isTTY?: boolean }, total: number, verb: string): Promise<Progress | undefined> {
  if (!stderr.isTTY || total === 0) return undefined;
  const { SingleBar, Presets } = await import('cli-progress');
  const bar = new SingleBar(
    { stream: stderr, format: `${verb} [{bar}] {value}/{total} documents`, hideCursor: true, clearOnComplete: true },
    Presets.shades_classic,
  );
  bar.start(total, 0);
  let stopped = false;
  return {
    // Stopped to let a refusal through, the bar stays stopped: a dry run goes on checking without it.
    increment: (by) => {
      if (!stopped) bar.increment(by);
    },
    stop: () => {
      if (!stopped) bar.stop();
      stopped = true;
    },
  };
}
