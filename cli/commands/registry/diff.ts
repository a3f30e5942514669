import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { ComponentNotFoundError, UsageInputError } from '../../client/errors.js';
import { outputOption, writeStructured } from '../../client/output.js';
import { ExitCode } from '../../exit-codes.js';
import { CONNECTION_DETAILS, RegistryClientCommand, UUID_PATTERN } from './base.js';

// ANSI styles, written out: the caller has already decided the terminal takes colour (clipanion's colorDepth).
const style = (code: number, line: string) => `\u001b[${code}m${line}\u001b[0m`;

/** A unified diff of two documents rendered as YAML, coloured when `colour` (added green, removed red, hunks cyan). */
export async function unifiedView(from: { revision: number; metadata: unknown }, to: { revision: number; metadata: unknown }, colour: boolean): Promise<string> {
  const [{ createTwoFilesPatch }, { stringify }] = await Promise.all([import('diff'), import('yaml')]);
  const text = (document: unknown) => stringify(document, { lineWidth: 0 });
  const patch = createTwoFilesPatch(`revision ${from.revision}`, `revision ${to.revision}`, text(from.metadata), text(to.metadata), undefined, undefined, {
    context: 3,
  });
  // The first line is jsdiff's "Index:" banner and a separator, which a unified view does not need.
  const lines = patch.split('\n').filter((line, index) => !(index < 2 && (line.startsWith('Index:') || /^=+$/.test(line))));
  if (!colour) return lines.join('\n');
  return lines
    .map((line) =>
      line.startsWith('+++') || line.startsWith('---')
        ? style(1, line)
        : line.startsWith('+')
          ? style(32, line)
          : line.startsWith('-')
            ? style(31, line)
            : line.startsWith('@@')
              ? style(36, line)
              : line,
    )
    .join('\n');
}

const revisionNumber = t.cascade(t.isNumber(), [t.isInteger(), t.isAtLeast(1)]);

export class RegistryDiffCommand extends RegistryClientCommand {
  static override paths = [['registry', 'diff']];
  static override usage = Command.Usage({
    category: 'Registry',
    description: 'Show what changed in a component between two revisions',
    details: `
      The revision compared from (--from) defaults to the one before --to, and --to to the current revision,
      so with neither it shows the latest change. People get a unified diff of the two documents as YAML,
      coloured on a terminal; with --output json or yaml, the RFC 6902 JSON Patch that turns revision --from
      into revision --to. A revision the component does not have exits 4.
      ${CONNECTION_DETAILS}
    `,
    examples: [
      ['The latest change', '$0 registry diff 6f1c2a9e-1111-4222-8333-444455556666'],
      ['Everything since registration, as a JSON Patch', '$0 registry diff 6f1c2a9e-1111-4222-8333-444455556666 --from 1 --output json'],
    ],
  });

  uuid = Option.String({ name: 'uuid' });
  output = outputOption();
  from = Option.String('--from', { description: 'The revision to compare from (default: the one before --to)', validator: revisionNumber });
  to = Option.String('--to', { description: 'The revision to compare to (default: the current one)', validator: revisionNumber });

  protected async run(): Promise<number> {
    if (!UUID_PATTERN.test(this.uuid)) throw new UsageInputError(`"${this.uuid}" is not a uuid; \`omnibase registry get <name>\` shows a component's uuid`);
    const uuid = this.uuid.toLowerCase();
    const notFound = () => new ComponentNotFoundError(`no component has uuid ${uuid} in the registry at ${this.registryUrl()}`);
    const client = await this.client();
    const { ComponentDiffDocument, ComponentRevisionDocument } = await import('../../generated/graphql.js');
    let to = this.to;
    if (to === undefined) {
      const current = await client.request(ComponentRevisionDocument, { uuid });
      if (!current.component) throw notFound();
      to = current.component.revision;
    }
    const from = this.from ?? Math.max(1, to - 1);
    const data = await client.request(ComponentDiffDocument, { uuid, from, to, fromAfter: String(from + 1), toAfter: String(to + 1) });
    if (!data.component) throw notFound();
    if (this.output !== 'human') {
      await writeStructured(this.context.stdout, this.output, data.component.diff);
      return ExitCode.Ok;
    }
    const [before] = data.component.before;
    const [after] = data.component.after;
    if (Array.isArray(data.component.diff) && data.component.diff.length === 0) {
      this.context.stdout.write(`no change between revision ${from} and revision ${to}\n`);
      return ExitCode.Ok;
    }
    this.context.stdout.write(`${await unifiedView(before!, after!, this.context.colorDepth > 1)}\n`);
    return ExitCode.Ok;
  }
}
