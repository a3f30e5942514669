import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { UsageInputError } from '../../client/errors.js';
import { outputOption, writeStructured } from '../../client/output.js';
import { ExitCode } from '../../exit-codes.js';
import { CONNECTION_DETAILS, RegistryClientCommand, UUID_PATTERN } from './base.js';

export class RegistryUpdateCommand extends RegistryClientCommand {
  static override paths = [['registry', 'update']];
  static override usage = Command.Usage({
    category: 'Registry',
    description: 'Change a component version with an RFC 7396 merge patch (YAML or JSON)',
    details: `
      The patch is merged into the stored document: keys it sets replace, keys set to null are removed,
      objects merge. uuid, name, version and schema_version cannot change (exit 2). With --expected-revision,
      the update is refused (exit 6) unless the component is still at that revision, so a change made by
      someone else since you read it is never overwritten. When the registry is unreachable nothing is
      written (exit 3).
      ${CONNECTION_DETAILS}
    `,
    examples: [
      ['Deprecate a version', `echo 'lifecycle: deprecated' | $0 registry update 6f1c2a9e-1111-4222-8333-444455556666 --patch -`],
      ['Apply a patch file, only if nobody changed revision 3', '$0 registry update 6f1c2a9e-1111-4222-8333-444455556666 --patch patch.yml --expected-revision 3'],
    ],
  });

  uuid = Option.String({ name: 'uuid' });
  patch = Option.String('--patch', { required: true, description: 'A file holding the merge patch, or - for stdin' });
  expectedRevision = Option.String('--expected-revision', {
    description: 'Refuse unless the component is at this revision',
    validator: t.cascade(t.isNumber(), [t.isInteger(), t.isAtLeast(1)]),
  });
  output = outputOption();

  protected async run(): Promise<number> {
    if (!UUID_PATTERN.test(this.uuid)) throw new UsageInputError(`"${this.uuid}" is not a uuid; \`omnibase registry get <name>\` shows a component's uuid`);
    const { parseMetadataText } = await import('../../../src/metadata/parse.js');
    const source = this.patch === '-' ? 'stdin' : this.patch;
    let raw: string;
    try {
      raw = this.patch === '-' ? await text(this.context.stdin) : await readFile(this.patch, 'utf8');
    } catch (error) {
      throw new UsageInputError(`cannot read the patch from ${source}: ${(error as Error).message}`);
    }
    let patch: unknown;
    try {
      patch = parseMetadataText(raw, source);
    } catch (error) {
      throw new UsageInputError(`the patch in ${source} is not one YAML or JSON document: ${(error as Error).message}`);
    }
    const client = await this.client();
    const { UpdateComponentDocument } = await import('../../generated/graphql.js');
    const uuid = this.uuid.toLowerCase();
    const { update } = await client.write(
      UpdateComponentDocument,
      { uuid, patch, expectedRevision: this.expectedRevision ?? null },
      { howToCheck: `omnibase registry get ${uuid}` },
    );
    await (await this.openCache()).storeComponents([update.component]);
    if (this.output === 'human') {
      const { name, version } = update.component;
      this.context.stdout.write(`changed: ${update.changed}\nuuid: ${update.uuid}\nname: ${name}\nversion: ${version}\nrevision: ${update.revision}\n`);
    } else {
      await writeStructured(this.context.stdout, this.output, update);
    }
    return ExitCode.Ok;
  }
}
