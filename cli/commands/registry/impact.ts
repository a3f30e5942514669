import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { UsageInputError } from '../../client/errors.js';
import { outputOption, writeStructured } from '../../client/output.js';
import { ExitCode } from '../../exit-codes.js';
import { CONNECTION_DETAILS, RegistryClientCommand, UUID_PATTERN } from './base.js';
import { dryRunAnswer, readPatch } from './write-input.js';

const FORMATS = ['table', 'svg'] as const;

/** The most entries of one list the registry sends in one answer (IMPACT_PAGE_LIMIT in src/schema/mutations.ts). */
const MAX_LIMIT = 1000;

export class RegistryImpactCommand extends RegistryClientCommand {
  static override paths = [['registry', 'impact']];
  static override usage = Command.Usage({
    category: 'Registry',
    description: 'Show what an update would change in what other components resolve to, writing nothing',
    details: `
      The update is made as a dry run (every check, nothing written) and the registry answers with its impact:
      each declared dependency whose resolution would move to another version, resolve where it did not, or be
      stranded (nothing satisfies it any more), and every component that depends on those, directly or not.

      The table (--format table, the default) lists them as dependent, range, before → after. The drawing
      (--format svg) shows the affected part of the graph: moved, resolved and stranded edges in their own
      colours and line styles, what each dependent resolved to before as a dashed edge, and a legend. The
      answer is written as data with --output json or yaml. How far the affected dependents are followed is
      bounded by --depth, and how many of each list come by --limit.

      When \`registry update\` would refuse the update for stranding dependents, a note on stderr says so; the
      impact is shown all the same (exit 0). Nothing goes to the cache: a dry run describes a state that does
      not exist.
      ${CONNECTION_DETAILS}
    `,
    examples: [
      ['What retiring a version would do', `echo 'lifecycle: retired' | $0 registry impact 6f1c2a9e-1111-4222-8333-444455556666 --patch -`],
      ['Draw it', `echo 'lifecycle: retired' | $0 registry impact 6f1c2a9e-1111-4222-8333-444455556666 --patch - --format svg > impact.svg`],
    ],
  });

  uuid = Option.String({ name: 'uuid' });
  patch = Option.String('--patch', { required: true, description: 'A file holding the merge patch, or - for stdin' });
  expectedRevision = Option.String('--expected-revision', {
    description: 'Check the update as it would be made only at this revision',
    validator: t.cascade(t.isNumber(), [t.isInteger(), t.isAtLeast(1)]),
  });
  format = Option.String('--format', 'table', { description: 'table (default) or svg', validator: t.isEnum(FORMATS) });
  depth = Option.String('--depth', {
    description: 'Follow the affected dependents at most this many levels (default: all)',
    validator: t.cascade(t.isNumber(), [t.isInteger(), t.isAtLeast(0)]),
  });
  limit = Option.String('--limit', '100', {
    description: `At most this many changed dependencies, and as many affected components (1 to ${MAX_LIMIT}; default 100)`,
    validator: t.cascade(t.isNumber(), [t.isInteger(), t.isInInclusiveRange(1, MAX_LIMIT)]),
  });
  output = outputOption();

  protected async run(): Promise<number> {
    if (!UUID_PATTERN.test(this.uuid)) throw new UsageInputError(`"${this.uuid}" is not a uuid; \`omnibase registry get <name>\` shows a component's uuid`);
    if (this.output !== 'human' && this.format !== 'table') throw new UsageInputError(`--output ${this.output} and --format ${this.format} exclude each other; choose one`);
    const patch = await readPatch(this.patch, this.context.stdin);
    const client = await this.client();
    const { ComponentImpactDocument } = await import('../../generated/graphql.js');
    const variables = {
      uuid: this.uuid.toLowerCase(),
      patch,
      expectedRevision: this.expectedRevision ?? null,
      impactFirst: Number(this.limit),
      affectedDepth: this.depth ?? null,
    };
    // A dry run writes nothing, so it is asked as a query: an answer lost on the way means the registry is
    // unreachable, never that something may have changed.
    const { answer, refusal } = await dryRunAnswer((force) => client.request(ComponentImpactDocument, { ...variables, force }), false);
    const { component, impact } = answer.update;
    if (this.output !== 'human') {
      await writeStructured(this.context.stdout, this.output, answer.update);
    } else if (this.format === 'svg') {
      const [{ renderImpactDot }, { renderSvg }] = await Promise.all([import('../../client/impact-render.js'), import('../../client/svg.js')]);
      this.context.stdout.write(await renderSvg(renderImpactDot(impact, component)));
    } else {
      const { renderImpactTable } = await import('../../client/impact-render.js');
      const unchanged = answer.update.changed ? '' : ' (the patch changes nothing in it)';
      this.context.stdout.write(`updating ${component.name}@${component.version} ${component.uuid}${unchanged}, nothing written\n${renderImpactTable(impact)}`);
    }
    if (refusal) this.context.stderr.write(`note: \`omnibase registry update\` would refuse this update: ${refusal.message}\n`);
    return ExitCode.Ok;
  }
}
