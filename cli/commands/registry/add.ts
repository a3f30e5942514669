import { Command, Option } from 'clipanion';
import type { ComponentMetadata } from '../../../src/metadata/validate.js';
import { RegistryResponseError, WriteOutcomeUnknownError } from '../../client/errors.js';
import type { ImpactView } from '../../client/impact-render.js';
import { outputOption, writeStructured } from '../../client/output.js';
import type { RegistryClient } from '../../client/transport.js';
import { chunked, metadataFiles } from './add-files.js';
import { progressBar, Tally } from './add-tally.js';
import { CONNECTION_DETAILS, RegistryClientCommand } from './base.js';
import { dryRunOption, forceOption } from './write-input.js';

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

/** The files as people read them: one block each, a blank line between. */
function describeResults(shown: readonly AddResult[]): string {
  return shown.map((r) => `file: ${r.file}\nregistered: ${r.registered}\nuuid: ${r.uuid}\nname: ${r.name}\nversion: ${r.version}\n`).join('\n');
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

      A dry run (--dry-run) makes every check of every chunk, writes nothing (not even to the cache), goes on
      past a refused chunk, and shows the combined impact: each registered dependency whose resolution the new
      versions would move or resolve. Each chunk is checked against the registry as it stands, without the
      documents of the chunks before it, so with more than one chunk a conflict between chunks shows only when
      they are registered; the output says so. With --force, a write that would leave dependents unresolved is
      made anyway.
      ${CONNECTION_DETAILS}
    `,
    examples: [
      ['Register one file', '$0 registry add validator.yml'],
      ['Register every metadata file under a directory', '$0 registry add components/'],
      ['Register several, report as JSON', '$0 registry add a.yml b.json --output json'],
      ['Check a directory and see what it would move, registering nothing', '$0 registry add components/ --dry-run'],
    ],
  });

  files = Option.Rest({ required: 1, name: 'dir | metadata.yml' });
  dryRun = dryRunOption();
  force = forceOption();
  output = outputOption();

  protected async run(): Promise<number> {
    const tally = new Tally(this.context.stderr, this.dryRun);
    const prepared = await this.prepare(tally);
    const results: Array<AddResult & { position: number }> = [];
    const impacts: ImpactView[] = [];
    let chunks: Prepared[][] = [];
    if (prepared.length) {
      // The order a single registerMany uses within itself, across the whole import: a failed chunk never
      // leaves a registered document waiting for a dependency that was in the import.
      const { dependencyOrder } = await import('../../../src/resolvers/dependency-order.js');
      const ordered = dependencyOrder(prepared.map((item) => item.document)).map((index) => prepared[index]!);
      chunks = chunked(ordered, (item) => Buffer.byteLength(JSON.stringify(item.document)), { count: CHUNK_DOCUMENTS, bytes: CHUNK_BYTES });
      await this.send(chunks, tally, results, impacts);
    }
    results.sort((a, b) => a.position - b.position);
    const shown = results.map(({ position: _position, ...result }) => result);
    if (this.dryRun) await this.showCheck(shown, impacts, chunks.length);
    else if (this.output !== 'human') await writeStructured(this.context.stdout, this.output, shown);
    else this.context.stdout.write(describeResults(shown));
    this.context.stderr.write(tally.summary());
    return tally.exitCode;
  }

  /**
   * What a dry run found: each file as a real run shows it, then the impact of all the chunks together; as
   * data, `{ dryRun, chunks, results, impact }`. With several chunks, says on stderr what their checks miss.
   */
  private async showCheck(shown: AddResult[], impacts: ImpactView[], chunks: number): Promise<void> {
    const { combineImpacts, renderImpactTable } = await import('../../client/impact-render.js');
    const impact = combineImpacts(impacts);
    if (this.output !== 'human') await writeStructured(this.context.stdout, this.output, { dryRun: true, chunks, results: shown, impact });
    else this.context.stdout.write(`${describeResults(shown)}${shown.length ? '\n' : ''}${renderImpactTable(impact)}`);
    if (chunks > 1) {
      this.context.stderr.write(
        `note: checked in ${chunks} chunks of up to ${CHUNK_DOCUMENTS} documents, each against the registry as it stands: a chunk's ` +
          "check does not see the chunks before it, so a conflict between two chunks, and what a later chunk's versions change " +
          "for an earlier chunk's dependents, show only when they are registered\n",
      );
    }
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

  /**
   * Sends the chunks in order until one fails, keeping each one's answer in the cache and in `results`. A dry
   * run stores nothing and goes on past a refused chunk (nothing was written, and the later checks still
   * tell something), collecting each chunk's impact in `impacts`; it is asked as a query, since a check whose
   * answer is lost changed nothing.
   */
  private async send(chunks: Prepared[][], tally: Tally, results: Array<AddResult & { position: number }>, impacts: ImpactView[]): Promise<void> {
    const { CheckComponentsDocument, RegisterComponentsDocument } = await import('../../generated/graphql.js');
    const client: RegistryClient = await this.client();
    const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    const progress = await progressBar(this.context.stderr, total, this.dryRun ? 'checking' : 'registering');
    try {
      for (const [index, chunk] of chunks.entries()) {
        const variables = { metadata: chunk.map((item) => item.document), force: this.force };
        let payload;
        try {
          if (this.dryRun) {
            ({ registerMany: payload } = await client.request(CheckComponentsDocument, variables));
            impacts.push(payload.impact);
          } else {
            ({ registerMany: payload } = await client.write(
              RegisterComponentsDocument,
              variables,
              // A chunk is all or nothing: its first document tells whether the whole chunk is in.
              { howToCheck: `omnibase registry get ${chunk[0]!.document.uuid}` },
            ));
          }
        } catch (error) {
          progress?.stop();
          const refused = await this.reportFailure(error, chunk, tally);
          if (error instanceof RegistryResponseError) tally.rolledBack += chunk.length - refused;
          else if (error instanceof WriteOutcomeUnknownError) tally.unconfirmed += chunk.length;
          else tally.notSent += chunk.length;
          if (this.dryRun && error instanceof RegistryResponseError) continue;
          tally.notSent += chunks.slice(index + 1).reduce((sum, later) => sum + later.length, 0);
          return;
        }
        if (!this.dryRun) await (await this.openCache()).storeComponents(payload.results.map((result) => result.component));
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
}
