import { Command, Option } from 'clipanion';
import { RegistryCommand } from '../command.js';
import { ExitCode, exitCodeOf } from '../exit-codes.js';

export class ValidateMetadataCommand extends RegistryCommand {
  static override paths = [['validate', 'metadata']];
  static override usage = Command.Usage({
    description: 'Check metadata files against schema v0.3, locally, with the validator the server uses',
    details: `
      Each file is YAML or JSON holding one component version. Every problem is reported with its JSON
      Pointer. Exits 0 when all files are valid and 2 when any is invalid or unreadable.
    `,
    examples: [['Check two files', '$0 validate metadata validator.yml tool.json']],
  });

  files = Option.Rest({ required: 1, name: 'file' });

  protected async run(): Promise<number> {
    // The validator compiles its schema when loaded; only commands that validate load it.
    const [{ MetadataParseError, readMetadataFile }, { formatProblems, MetadataValidationError, validateMetadata }] =
      await Promise.all([import('../../src/metadata/parse.js'), import('../../src/metadata/validate.js')]);
    let exitCode: number = ExitCode.Ok;
    for (const file of this.files) {
      try {
        const document = validateMetadata(await readMetadataFile(file));
        this.context.stdout.write(`valid: ${file} (${document.name}@${document.version})\n`);
      } catch (error) {
        if (error instanceof MetadataValidationError) {
          this.context.stderr.write(`${file}: ${formatProblems(error)}\n`);
        } else if (error instanceof MetadataParseError) {
          this.context.stderr.write(`MetadataParseError: ${error.message}\n`);
        } else {
          throw error;
        }
        exitCode = exitCodeOf(error);
      }
    }
    return exitCode;
  }
}
