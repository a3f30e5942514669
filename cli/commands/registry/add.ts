import type { Writable } from 'node:stream';
import { Command, Option } from 'clipanion';
import type { ComponentMetadata } from '../../../src/metadata/validate.js';
import { RegistryResponseError, WriteOutcomeUnknownError } from '../../client/errors.js';
import { outputOption, writeStructured } from '../../client/output.js';
import type { RegistryClient } from '../../client/transport.js';
import { ExitCode, exitCodeOf } from '../../exit-codes.js';
import { chunked, metadataFiles } from './add-files.js';
import { CONNECTION_DETAILS, RegistryClientCommand } from './base.js';

/**
 * Documents per registerMany. The server takes up to 1,000 in one transaction; 500 keeps each transaction
 * (and the order lock it holds against every other write) short, and a refused chunk cheap to send again,
 * while a 10,000-file import is still only 20 requests.
 */
export const CHUNK_DOCUMENTS = 500;

/**
 * JSON bytes of metadata per registerMany: under the server's request limit (1,114,112 bytes, LIMITS.bodyBytes
 * in src/server/limits.ts) with room for the query. A document at the 256 KiB limit always fits alone.
 */
export const CHUNK_BYTES = 1_000_000;

export interface AddResult {
  readonly file: string;
  readonly registered: boolean;
  readonly uuid: string;
  readonly name: string;
  readonly version: string;
}

/** A file that read and validated locally, with its place in the order the files were given. */
interface Prepared {
  readonly position: number;
  readonly file: string;
  readonly document: ComponentMetadata;
}

/** What happened to the files: the summary line, and the exit code of the first failure. */
class Tally {
  registered = 0;
  unchanged = 0;
  refused = 0;
  /** The other documents of a chunk the registry refused: the chunk is all or nothing. */
  rolledBack = 0;
  /** Sent without an answer: maybe registered, maybe not. */
  unconfirmed = 0;
  notSent = 0;
  exitCode: number = ExitCode.Ok;

  constructor(private readonly stderr: Writable) {}

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
    const parts = [`registered ${this.registered}`, `unchanged ${this.unchanged}`, `refused ${this.refused}`];
    if (this.rolledBack) parts.push(`not registered ${this.rolledBack} (with the refused chunk)`);
    if (this.unconfirmed) parts.push(`unconfirmed ${this.unconfirmed} (sent without an answer)`);
    if (this.notSent) parts.push(`not sent ${this.notSent}`);
    return `${parts.join(', ')}\n`;
  }
}

/** A registerMany refusal names its document by position: `extensions.index`, and `metadata[i]: ` in the message. */
function refusedIndex(error: RegistryResponseError): number | undefined {
  const index = error.extensions.index;
  return typeof index === 'number' && Number.isInteger(index) ? index : undefined;
}

export class RegistryAddCommand extends RegistryClientCommand {
  static override paths = [['registry', 'add']];
  static override usage = Command.Usage({
    category: 'Registry',
    description: 'Register component versions from metadata files or whole directories of them (YAML or JSON, schema v0.3)',
    details: `
      A directory stands for every .yml, .yaml and .json file below it, at any depth, sorted by path. Every file
      is validated locally with the registry's own validator first: an invalid one is reported with each problem's
      JSON Pointer (exit 2) and the others are still registered. The valid documents go in dependency order
      (what a document depends on first), in chunks of up to ${CHUNK_DOCUMENTS} documents, each chunk one
      transaction: all of it is registered or none of it. A refused chunk is reported with the file and the
      reason, and nothing after it is sent; the chunks before it stay registered. Registering is idempotent, so
      running the same add again after fixing the file is safe: what is already there counts as unchanged.

      A summary line ends the run on stderr (registered N, unchanged N, refused N); on a terminal a progress
      bar shows the documents sent. A different document for an existing uuid, or for an existing name and
      version, is refused (exit 6). When the registry is unreachable nothing is written, not even to the cache
      (exit 3); a chunk sent without an answer (exit 7) may or may not have been registered.
      ${CONNECTION_DETAILS}
    `,
    examples: [
      ['Register one file', '$0 registry add validator.yml'],
      ['Register every metadata file under a directory', '$0 registry add components/'],
      ['Register several, report as JSON', '$0 registry add a.yml b.json --output json'],
    ],
  });

  files = Option.Rest({ required: 1, name: 'dir | metadata.yml' });
  output = outputOption();

  protected async run(): Promise<number> {
    const tally = new Tally(this.context.stderr);
    const prepared = await this.prepare(tally);
    const results: Array<AddResult & { position: number }> = [];
    if (prepared.length) {
      // The order a single registerMany uses within itself, across the whole import: a failed chunk never
      // leaves a registered document waiting for a dependency that was in the import.
      const { dependencyOrder } = await import('../../../src/resolvers/dependency-order.js');
      const ordered = dependencyOrder(prepared.map((item) => item.document)).map((index) => prepared[index]!);
      const chunks = chunked(ordered, (item) => Buffer.byteLength(JSON.stringify(item.document)), { count: CHUNK_DOCUMENTS, bytes: CHUNK_BYTES });
      await this.send(chunks, tally, results);
    }
    results.sort((a, b) => a.position - b.position);
    const shown = results.map(({ position: _position, ...result }) => result);
    if (this.output !== 'human') await writeStructured(this.context.stdout, this.output, shown);
    else this.context.stdout.write(shown.map((r) => `file: ${r.file}\nregistered: ${r.registered}\nuuid: ${r.uuid}\nname: ${r.name}\nversion: ${r.version}\n`).join('\n'));
    this.context.stderr.write(tally.summary());
    return tally.exitCode;
  }

  /** Reads and validates every file, reporting those that fail; returns the others. */
  private async prepare(tally: Tally): Promise<Prepared[]> {
    // The validator compiles its schema when loaded; registering is worth that, reading is not.
    const [{ MetadataParseError, readMetadataFile }, { formatProblems, MetadataValidationError, validateMetadata }] = await Promise.all([
      import('../../../src/metadata/parse.js'),
      import('../../../src/metadata/validate.js'),
    ]);
    const prepared: Prepared[] = [];
    for (const [position, file] of (await metadataFiles(this.files)).entries()) {
      try {
        prepared.push({ position, file, document: validateMetadata(await readMetadataFile(file)) });
      } catch (error) {
        if (error instanceof MetadataValidationError) tally.refuse(error, `${file}: ${formatProblems(error)}`);
        else if (error instanceof MetadataParseError) tally.refuse(error, `MetadataParseError: ${error.message}`);
        else throw error;
      }
    }
    return prepared;
  }

  /** Sends the chunks in order until one fails, keeping each one's answer in the cache and in `results`. */
  private async send(chunks: Prepared[][], tally: Tally, results: Array<AddResult & { position: number }>): Promise<void> {
    const { RegisterComponentsDocument } = await import('../../generated/graphql.js');
    const client: RegistryClient = await this.client();
    const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    const progress = await this.progressBar(total);
    try {
      for (const [index, chunk] of chunks.entries()) {
        let payload;
        try {
          ({ registerMany: payload } = await client.write(
            RegisterComponentsDocument,
            { metadata: chunk.map((item) => item.document) },
            // A chunk is all or nothing: its first document tells whether the whole chunk is in.
            { howToCheck: `omnibase registry get ${chunk[0]!.document.uuid}` },
          ));
        } catch (error) {
          progress?.stop();
          const refused = await this.reportFailure(error, chunk, tally);
          if (error instanceof RegistryResponseError) tally.rolledBack += chunk.length - refused;
          else if (error instanceof WriteOutcomeUnknownError) tally.unconfirmed += chunk.length;
          else tally.notSent += chunk.length;
          tally.notSent += chunks.slice(index + 1).reduce((sum, later) => sum + later.length, 0);
          return;
        }
        await (await this.openCache()).storeComponents(payload.results.map((result) => result.component));
        tally.registered += payload.registered;
        tally.unchanged += payload.unchanged;
        payload.results.forEach((result, position) => {
          const { file, position: order } = chunk[position]!;
          results.push({ position: order, file, registered: result.registered, uuid: result.uuid, name: result.component.name, version: result.component.version });
        });
        progress?.increment(chunk.length);
      }
    } finally {
      progress?.stop();
    }
  }

  /**
   * Reports why a chunk failed: the file a refusal names, with each problem's pointer, or the request's own
   * failure. Returns how many documents of the chunk were refused themselves (the others were not registered).
   */
  private async reportFailure(error: unknown, chunk: Prepared[], tally: Tally): Promise<number> {
    const index = error instanceof RegistryResponseError ? refusedIndex(error) : undefined;
    const file = index === undefined ? undefined : chunk[index]?.file;
    if (!(error instanceof RegistryResponseError) || file === undefined) {
      tally.fail(error, `error: ${(error as Error).message}`);
      return 0;
    }
    if (error.code === 'METADATA_VALIDATION_ERROR' && Array.isArray(error.extensions.errors)) {
      // The server's verdict prints exactly as the local validator's would.
      const { formatProblems, MetadataValidationError } = await import('../../../src/metadata/validate.js');
      tally.refuse(error, `${file}: ${formatProblems(new MetadataValidationError(error.extensions.errors))}`);
    } else {
      tally.refuse(error, `error: ${file}: ${error.message.replace(/^metadata\[\d+\]: /, '')}`);
    }
    return 1;
  }

  /** A progress bar on stderr while documents are sent, only when stderr is a terminal. */
  private async progressBar(total: number): Promise<{ increment(by: number): void; stop(): void } | undefined> {
    const stderr = this.context.stderr as Writable & { isTTY?: boolean };
    if (!stderr.isTTY || total === 0) return undefined;
    const { SingleBar, Presets } = await import('cli-progress');
    const bar = new SingleBar(
      { stream: stderr, format: 'registering [{bar}] {value}/{total} documents', hideCursor: true, clearOnComplete: true },
      Presets.shades_classic,
    );
    bar.start(total, 0);
    let stopped = false;
    return {
      increment: (by) => bar.increment(by),
      stop: () => {
        if (!stopped) bar.stop();
        stopped = true;
      },
    };
  }
}
