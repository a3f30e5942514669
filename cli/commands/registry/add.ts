import { Command, Option } from 'clipanion';
import { RegistryResponseError } from '../../client/errors.js';
import { outputOption, writeStructured } from '../../client/output.js';
import { ExitCode, exitCodeOf } from '../../exit-codes.js';
import { CONNECTION_DETAILS, RegistryClientCommand } from './base.js';

export interface AddResult {
  readonly file: string;
  readonly registered: boolean;
  readonly uuid: string;
  readonly name: string;
  readonly version: string;
}

export class RegistryAddCommand extends RegistryClientCommand {
  static override paths = [['registry', 'add']];
  static override usage = Command.Usage({
    category: 'Registry',
    description: 'Register component versions from metadata files (YAML or JSON, schema v0.3)',
    details: `
      Each file is validated locally with the registry's own validator, then registered. Registering is
      idempotent: the same document again prints \`registered: false\`. A different document for an existing
      uuid or name and version is refused (exit 6). An invalid file is reported with each problem's JSON
      Pointer (exit 2) and the other files are still registered. When the registry is unreachable nothing is
      written, not even to the cache (exit 3).
      ${CONNECTION_DETAILS}
    `,
    examples: [
      ['Register one file', '$0 registry add validator.yml'],
      ['Register several, report as JSON', '$0 registry add a.yml b.json --output json'],
    ],
  });

  files = Option.Rest({ required: 1, name: 'metadata.yml' });
  output = outputOption();

  protected async run(): Promise<number> {
    // The validator compiles its schema when loaded; registering is worth that, reading is not.
    const [{ MetadataParseError, readMetadataFile }, { formatProblems, MetadataValidationError, validateMetadata }, { RegisterComponentDocument }] =
      await Promise.all([import('../../../src/metadata/parse.js'), import('../../../src/metadata/validate.js'), import('../../generated/graphql.js')]);
    let exitCode: number = ExitCode.Ok;
    const fail = (code: number, text: string) => {
      this.context.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
      if (exitCode === ExitCode.Ok) exitCode = code;
    };
    const results: AddResult[] = [];
    const client = await this.client();
    for (const file of this.files) {
      let document: unknown;
      try {
        document = await readMetadataFile(file);
        validateMetadata(document);
      } catch (error) {
        if (error instanceof MetadataValidationError) fail(exitCodeOf(error), `${file}: ${formatProblems(error)}`);
        else if (error instanceof MetadataParseError) fail(exitCodeOf(error), `MetadataParseError: ${error.message}`);
        else throw error;
        continue;
      }
      let payload;
      try {
        const uuid = (document as { uuid: string }).uuid.toLowerCase();
        ({ register: payload } = await client.write(RegisterComponentDocument, { metadata: document }, { howToCheck: `omnibase registry get ${uuid}` }));
      } catch (error) {
        if (!(error instanceof RegistryResponseError)) throw error;
        if (error.code === 'METADATA_VALIDATION_ERROR' && Array.isArray(error.extensions.errors)) {
          // The server's verdict prints exactly as the local validator's would.
          fail(exitCodeOf(error), `${file}: ${formatProblems(new MetadataValidationError(error.extensions.errors))}`);
        } else {
          fail(exitCodeOf(error), `error: ${file}: ${error.message}`);
        }
        continue;
      }
      await (await this.openCache()).storeComponents([payload.component]);
      const result = { file, registered: payload.registered, uuid: payload.uuid, name: payload.component.name, version: payload.component.version };
      results.push(result);
      if (this.output === 'human') {
        const separator = results.length > 1 ? '\n' : '';
        this.context.stdout.write(`${separator}file: ${file}\nregistered: ${result.registered}\nuuid: ${result.uuid}\nname: ${result.name}\nversion: ${result.version}\n`);
      }
    }
    if (this.output !== 'human') await writeStructured(this.context.stdout, this.output, results);
    return exitCode;
  }
}
