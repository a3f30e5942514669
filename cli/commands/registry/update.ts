import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { reportError } from '../../command.js';
import { UsageInputError } from '../../client/errors.js';
import { outputOption, writeStructured } from '../../client/output.js';
import type { RegistryClient } from '../../client/transport.js';
import { ExitCode } from '../../exit-codes.js';
import { CONNECTION_DETAILS, RegistryClientCommand, UUID_PATTERN } from './base.js';
import { dryRunAnswer, dryRunOption, forceOption, readPatch } from './write-input.js';

interface UpdateVariables {
  readonly uuid: string;
  readonly patch: unknown;
  readonly expectedRevision: number | null;
}

/** An update's answer for people: what changed, on which component, at which revision. */
function describeUpdate(update: { changed: boolean; uuid: string; revision: number; component: { name: string; version: string } }): string {
  const { name, version } = update.component;
  return `changed: ${update.changed}\nuuid: ${update.uuid}\nname: ${name}\nversion: ${version}\nrevision: ${update.revision}\n`;
}

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

      An update that would leave dependents that are not retired with a dependency nothing satisfies (retiring
      the only version a range accepts) is refused (exit 6), naming the first of them and how many in all; with
      the flag --force it is made anyway and shows what it stranded. A dry run (--dry-run) makes every check,
      writes nothing, and shows the impact: each dependent whose resolution would move, resolve or be
      stranded, with its range, before and after. A dry run exits as the update would: 6 when it would be
      refused. \`omnibase registry impact\` draws the impact.
      ${CONNECTION_DETAILS}
    `,
    examples: [
      ['Deprecate a version', `echo 'lifecycle: deprecated' | $0 registry update 6f1c2a9e-1111-4222-8333-444455556666 --patch -`],
      ['Apply a patch file, only if nobody changed revision 3', '$0 registry update 6f1c2a9e-1111-4222-8333-444455556666 --patch patch.yml --expected-revision 3'],
      ['See what retiring a version would do, writing nothing', `echo 'lifecycle: retired' | $0 registry update 6f1c2a9e-1111-4222-8333-444455556666 --patch - --dry-run`],
    ],
  });

  uuid = Option.String({ name: 'uuid' });
  patch = Option.String('--patch', { required: true, description: 'A file holding the merge patch, or - for stdin' });
  expectedRevision = Option.String('--expected-revision', {
    description: 'Refuse unless the component is at this revision',
    validator: t.cascade(t.isNumber(), [t.isInteger(), t.isAtLeast(1)]),
  });
  dryRun = dryRunOption();
  force = forceOption();
  output = outputOption();

  protected async run(): Promise<number> {
    if (!UUID_PATTERN.test(this.uuid)) throw new UsageInputError(`"${this.uuid}" is not a uuid; \`omnibase registry get <name>\` shows a component's uuid`);
    const patch = await readPatch(this.patch, this.context.stdin);
    const client = await this.client();
    const variables: UpdateVariables = { uuid: this.uuid.toLowerCase(), patch, expectedRevision: this.expectedRevision ?? null };
    return this.dryRun ? this.check(client, variables) : this.write(client, variables);
  }

  private async write(client: RegistryClient, variables: UpdateVariables): Promise<number> {
    const { UpdateComponentDocument, UpdateComponentWithImpactDocument } = await import('../../generated/graphql.js');
    const check = { howToCheck: `omnibase registry get ${variables.uuid}` };
    // Forced, the answer shows what the update stranded; otherwise the registry need not work the impact out.
    const forced = this.force ? (await client.write(UpdateComponentWithImpactDocument, { ...variables, dryRun: false, force: true }, check)).update : undefined;
    const update = forced ?? (await client.write(UpdateComponentDocument, variables, check)).update;
    await (await this.openCache()).storeComponents([update.component]);
    if (this.output !== 'human') {
      await writeStructured(this.context.stdout, this.output, update);
      return ExitCode.Ok;
    }
    this.context.stdout.write(describeUpdate(update));
    if (forced && forced.impact.edges.totalCount > 0) {
      const { renderImpactTable } = await import('../../client/impact-render.js');
      this.context.stdout.write(`\n${renderImpactTable(forced.impact)}`);
    }
    return ExitCode.Ok;
  }

  /**
   * A dry run: asked as a query would be (nothing is written, so an answer lost on the way is only an
   * unreachable registry, never an unknown outcome), and never stored in the cache: it describes a state that
   * does not exist.
   */
  private async check(client: RegistryClient, variables: UpdateVariables): Promise<number> {
    const { UpdateComponentWithImpactDocument } = await import('../../generated/graphql.js');
    const { answer, refusal } = await dryRunAnswer((force) => client.request(UpdateComponentWithImpactDocument, { ...variables, dryRun: true, force }), this.force);
    if (this.output === 'human') {
      const { renderImpactTable } = await import('../../client/impact-render.js');
      this.context.stdout.write(`dry run: nothing was written\n${describeUpdate(answer.update)}\n${renderImpactTable(answer.update.impact)}`);
    } else {
      await writeStructured(this.context.stdout, this.output, answer.update);
    }
    return refusal ? reportError(refusal, this.context.stderr) : ExitCode.Ok;
  }
}
