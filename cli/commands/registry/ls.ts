import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { readThrough } from '../../cache/read-through.js';
import { componentTable, writeStructured } from '../../client/output.js';
import type { ComponentFieldsFragment, ComponentType, Lifecycle, SearchComponentsQuery } from '../../generated/graphql.js';
import { ExitCode } from '../../exit-codes.js';
import { CONNECTION_DETAILS, READ_DETAILS, RegistryReadCommand } from './base.js';

/** The registry pages search by at most 500; --limit above that takes several pages. */
const PAGE_SIZE = 500;
const TYPES = ['validator', 'tool', 'test'] as const;
const LIFECYCLES = ['experimental', 'active', 'deprecated', 'retired'] as const;

export interface ComponentList {
  /** Entries matching the filters, across all pages. */
  readonly totalCount: number;
  readonly components: ComponentFieldsFragment[];
}

export class RegistryLsCommand extends RegistryReadCommand {
  static override paths = [['registry', 'ls']];
  static override usage = Command.Usage({
    category: 'Registry',
    description: 'List component versions matching every filter given, by name then newest version first',
    details: `
      --tag may repeat: an entry must carry every tag given. --text is full-text search over name, description
      and tags (offline: every word must appear). --latest keeps the newest matching version of each name.
      ${READ_DETAILS}
      Offline, the list is built from the cached components, which may not be all the registry holds;
      \`omnibase registry sync\` fills the cache with everything.
      ${CONNECTION_DETAILS}
    `,
    examples: [
      ['Everything tagged canary', '$0 registry ls --tag canary'],
      ['Active validators, newest version of each, as YAML', '$0 registry ls --type validator --lifecycle active --latest --output yaml'],
      ['Full-text search', '$0 registry ls --text "yaml lint"'],
    ],
  });

  tags = Option.Array('--tag', [], { description: 'Only entries carrying this tag (repeatable; all must match)' });
  type = Option.String('--type', { description: 'validator, tool or test', validator: t.isEnum(TYPES) });
  lifecycle = Option.String('--lifecycle', { description: 'experimental, active, deprecated or retired', validator: t.isEnum(LIFECYCLES) });
  text = Option.String('--text', { description: 'Full-text query over name, description and tags' });
  latest = Option.Boolean('--latest', false, { description: 'Only the newest matching version of each name' });
  limit = Option.String('--limit', '50', {
    description: 'At most this many entries (default 50)',
    validator: t.cascade(t.isNumber(), [t.isInteger(), t.isInInclusiveRange(1, 100_000)]),
  });

  protected async run(): Promise<number> {
    const mode = this.cacheMode();
    const ttlMs = this.ttlMs();
    const filters = {
      tags: this.tags.length ? this.tags : undefined,
      type: this.type?.toUpperCase() as ComponentType | undefined,
      lifecycle: this.lifecycle?.toUpperCase() as Lifecycle | undefined,
      text: this.text,
      latestOnly: this.latest,
    };
    const { value } = await readThrough<ComponentList>({
      mode,
      ttlMs,
      subject: 'components to list',
      openCache: () => this.openCache(),
      lookup: async (cache) => {
        const cached = await cache.components();
        // An empty cache knows nothing; a cache with components can say that none of them match.
        if (!cached.length) return undefined;
        const { searchCached } = await import('../../cache/offline.js');
        const matching = searchCached(cached, filters);
        const storedAt = Math.min(...cached.map((entry) => entry.storedAt));
        return { value: { totalCount: matching.length, components: matching.slice(0, this.limit).map((entry) => entry.value) }, storedAt };
      },
      fetch: async () => {
        const client = await this.client();
        const { SearchComponentsDocument } = await import('../../generated/graphql.js');
        const components: ComponentFieldsFragment[] = [];
        let after: string | null = null;
        for (;;) {
          const { search }: SearchComponentsQuery = await client.request(SearchComponentsDocument, {
            ...filters,
            first: Math.min(PAGE_SIZE, this.limit - components.length),
            after,
          });
          components.push(...search.edges.map((edge) => edge.node));
          if (!search.pageInfo.hasNextPage || components.length >= this.limit) return { totalCount: search.totalCount, components };
          after = search.pageInfo.endCursor;
        }
      },
      store: (cache, list) => cache.storeComponents(list.components),
      warn: (line) => this.warn(line),
    });
    if (this.output !== 'human') {
      await writeStructured(this.context.stdout, this.output, value);
      return ExitCode.Ok;
    }
    if (!value.components.length) {
      this.context.stdout.write('no component matches\n');
      return ExitCode.Ok;
    }
    this.context.stdout.write(componentTable(value.components));
    if (value.totalCount > value.components.length) {
      this.context.stdout.write(`${value.components.length} of ${value.totalCount} shown; raise --limit to see more\n`);
    }
    return ExitCode.Ok;
  }
}
