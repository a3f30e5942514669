import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { readThrough } from '../../cache/read-through.js';
import type { CachedGraphValue } from '../../cache/store.js';
import { UsageInputError } from '../../client/errors.js';
import { writeStructured } from '../../client/output.js';
import type { GraphDirection } from '../../generated/graphql.js';
import { ExitCode } from '../../exit-codes.js';
import { AS_OF_DETAILS, asOfOption, parseAsOf } from './as-of.js';
import { CONNECTION_DETAILS, READ_DETAILS, RegistryReadCommand, UUID_PATTERN } from './base.js';

const FORMATS = ['tree', 'json', 'yaml', 'dot', 'mermaid', 'svg'] as const;

export class RegistryGraphCommand extends RegistryReadCommand {
  static override paths = [['registry', 'graph']];
  static override usage = Command.Usage({
    category: 'Registry',
    description: 'Show the dependency graph of a component version: what it needs, or what needs it',
    details: `
      The whole reachable graph comes in one request. The tree shows each component once; a component met
      again reads \`(see above)\`, or \`(cycle)\` when it depends on itself through the path shown. --format dot
      writes Graphviz source, --format svg that source drawn as SVG (by Graphviz built in, no \`dot\` needed),
      and --format mermaid a Mermaid flowchart for Markdown.
      --output json or yaml is the same as --format json or yaml.
      ${READ_DETAILS}
      ${AS_OF_DETAILS}
      ${CONNECTION_DETAILS}
    `,
    examples: [
      ['What a component needs, as a tree', '$0 registry graph 6f1c2a9e-1111-4222-8333-444455556666'],
      ['What needs it, two levels deep', '$0 registry graph 6f1c2a9e-1111-4222-8333-444455556666 --direction dependents --depth 2'],
      ['A picture', '$0 registry graph 6f1c2a9e-1111-4222-8333-444455556666 --format svg > graph.svg'],
    ],
  });

  root = Option.String({ name: 'uuid' });
  direction = Option.String('--direction', 'dependencies', {
    description: 'dependencies (what it needs) or dependents (what needs it)',
    validator: t.isEnum(['dependencies', 'dependents'] as const),
  });
  depth = Option.String('--depth', {
    description: 'At most this many levels from the root',
    validator: t.cascade(t.isNumber(), [t.isInteger(), t.isAtLeast(0)]),
  });
  asOf = asOfOption();
  format = Option.String('--format', { description: 'tree (default), json, yaml, dot, mermaid or svg', validator: t.isEnum(FORMATS) });

  protected async run(): Promise<number> {
    if (!UUID_PATTERN.test(this.root)) throw new UsageInputError(`"${this.root}" is not a uuid; \`omnibase registry get <name>\` shows a component's uuid`);
    const root = this.root.toLowerCase();
    const direction = this.direction.toUpperCase() as GraphDirection;
    const format = this.format ?? (this.output === 'human' ? 'tree' : this.output);
    const key = `${root}:${direction}:${this.depth ?? 'all'}`;
    const mode = this.cacheMode();
    // A past graph is asked of the registry alone: the cache holds the present only.
    const asOf = this.asOf === undefined ? undefined : parseAsOf(this.asOf, mode === 'offline');
    const { value } = asOf !== undefined ? { value: await this.graphAsOf(root, direction, asOf) } : await readThrough<CachedGraphValue>({
      mode,
      ttlMs: this.ttlMs(),
      subject: `graph of ${direction.toLowerCase()} for ${root}${this.depth === undefined ? '' : ` to depth ${this.depth}`}`,
      openCache: () => this.openCache(),
      lookup: (cache) => cache.graph(key),
      fetch: async () => {
        const client = await this.client();
        const { DependencyGraphDocument } = await import('../../generated/graphql.js');
        const data = await client.request(DependencyGraphDocument, { root, direction, maxDepth: this.depth ?? null });
        return data.dependencyGraph;
      },
      store: (cache, graph) => cache.storeGraph(key, graph),
      warn: (line) => this.warn(line),
    });
    if (format === 'json' || format === 'yaml') {
      await writeStructured(this.context.stdout, format, value);
      return ExitCode.Ok;
    }
    const { renderDot, renderMermaid, renderTree } = await import('../../client/graph-render.js');
    if (format === 'svg') {
      const { renderSvg } = await import('../../client/svg.js');
      this.context.stdout.write(await renderSvg(renderDot(value)));
      return ExitCode.Ok;
    }
    this.context.stdout.write(format === 'dot' ? renderDot(value) : format === 'mermaid' ? renderMermaid(value) : renderTree(value, direction));
    return ExitCode.Ok;
  }

  private async graphAsOf(root: string, direction: GraphDirection, asOf: string): Promise<CachedGraphValue> {
    const client = await this.client();
    const { DependencyGraphDocument } = await import('../../generated/graphql.js');
    const data = await client.request(DependencyGraphDocument, { root, direction, maxDepth: this.depth ?? null, asOf });
    return data.dependencyGraph;
  }
}
