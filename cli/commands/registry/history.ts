import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { ComponentNotFoundError, UsageInputError } from '../../client/errors.js';
import { table, writeStructured } from '../../client/output.js';
import type { ComponentHistoryQuery } from '../../generated/graphql.js';
import { ExitCode } from '../../exit-codes.js';
import { CONNECTION_DETAILS, RegistryClientCommand, UUID_PATTERN } from './base.js';
import { outputOption } from '../../client/output.js';

/** The most revisions the registry gives in one page. */
const PAGE = 1_000;
/** The most changed paths a row of the table lists before it counts the rest. */
const PATHS_SHOWN = 4;

type Revision = NonNullable<ComponentHistoryQuery['component']>['history'][number];

/** The paths a revision's RFC 6902 diff touches, in order, each once: what the history table shows. */
export function changedPaths(diff: unknown): string[] {
  if (!Array.isArray(diff)) return [];
  return [...new Set(diff.map((operation: { path?: unknown }) => (typeof operation.path === 'string' ? operation.path : '')).filter(Boolean))];
}

function describeChange(entry: Revision): string {
  if (entry.revision === 1) return '(registered)';
  const paths = changedPaths(entry.diff);
  if (paths.length === 0) return '(no change)';
  const shown = paths.slice(0, PATHS_SHOWN).join(', ');
  return paths.length > PATHS_SHOWN ? `${shown} and ${paths.length - PATHS_SHOWN} more` : shown;
}

export class RegistryHistoryCommand extends RegistryClientCommand {
  static override paths = [['registry', 'history']];
  static override usage = Command.Usage({
    category: 'Registry',
    description: "List a component's revisions, newest first: when, by whom, and which paths each changed",
    details: `
      Each register or update that changed the document is a revision. The table shows its number, time, actor
      and the JSON Pointer paths its change touched (\`omnibase registry diff\` shows the change itself). As
      JSON or YAML (--output), each revision comes with its RFC 6902 diff from the one before. History always
      comes from the registry, never from the cache.
      ${CONNECTION_DETAILS}
    `,
    examples: [
      ['The last 100 revisions', '$0 registry history 6f1c2a9e-1111-4222-8333-444455556666'],
      ['The ten before revision 40, as JSON', '$0 registry history 6f1c2a9e-1111-4222-8333-444455556666 --before 40 --limit 10 --output json'],
    ],
  });

  uuid = Option.String({ name: 'uuid' });
  output = outputOption();
  limit = Option.String('--limit', '100', {
    description: 'At most this many revisions (default 100)',
    validator: t.cascade(t.isNumber(), [t.isInteger(), t.isAtLeast(1)]),
  });
  before = Option.String('--before', {
    description: 'Only revisions older than this one',
    validator: t.cascade(t.isNumber(), [t.isInteger(), t.isAtLeast(1)]),
  });

  protected async run(): Promise<number> {
    if (!UUID_PATTERN.test(this.uuid)) throw new UsageInputError(`"${this.uuid}" is not a uuid; \`omnibase registry get <name>\` shows a component's uuid`);
    const uuid = this.uuid.toLowerCase();
    const client = await this.client();
    const { ComponentHistoryDocument } = await import('../../generated/graphql.js');
    const revisions: Revision[] = [];
    let component: ComponentHistoryQuery['component'] = null;
    let after = this.before === undefined ? null : String(this.before);
    // Page by page, newest first, until the limit or revision 1.
    while (revisions.length < this.limit) {
      const first = Math.min(PAGE, this.limit - revisions.length);
      const data = await client.request(ComponentHistoryDocument, { uuid, first, after });
      if (!data.component) throw new ComponentNotFoundError(`no component has uuid ${uuid} in the registry at ${this.registryUrl()}`);
      component = data.component;
      revisions.push(...data.component.history);
      const last = data.component.history.at(-1);
      if (data.component.history.length < first || !last || last.revision === 1) break;
      after = String(last.revision);
    }
    if (this.output !== 'human') {
      await writeStructured(this.context.stdout, this.output, { ...component, history: revisions });
      return ExitCode.Ok;
    }
    this.context.stdout.write(
      table(
        ['REVISION', 'TIME', 'ACTOR', 'CHANGED'],
        revisions.map((entry) => [String(entry.revision), entry.at, entry.actor ?? '-', describeChange(entry)]),
      ),
    );
    return ExitCode.Ok;
  }
}
