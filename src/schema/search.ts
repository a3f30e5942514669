import { searchComponents } from '../resolvers/search.js';
import type { SearchPage } from '../resolvers/search.js';
import { builder } from './builder.js';
import { requires } from './capabilities.js';
import { ComponentRef, ComponentTypeEnum, LifecycleEnum } from './component.js';

export const ComponentConnection = builder.connectionObject(
  {
    type: ComponentRef,
    name: 'ComponentConnection',
    fields: (t) => ({
      totalCount: t.int({
        description: 'Entries matching the filters across all pages.',
        resolve: (connection) => (connection as unknown as { page: SearchPage }).page.totalCount(),
      }),
    }),
  },
  { name: 'ComponentEdge' },
);

builder.queryField('search', (t) =>
  t.field({
    ...requires('REGISTRY_READ'),
    type: ComponentConnection,
    description:
      'Entries matching every filter given, by name and then newest version first. `text` is a full-text ' +
      'query over name, tags and description; `latestOnly` keeps the highest matching version of each name.',
    args: {
      tags: t.arg.stringList({ description: 'Entries carrying all of these tags.' }),
      type: t.arg({ type: ComponentTypeEnum }),
      lifecycle: t.arg({ type: LifecycleEnum }),
      text: t.arg.string(),
      latestOnly: t.arg.boolean({ defaultValue: false }),
      first: t.arg.int({ defaultValue: 50 }),
      after: t.arg.string(),
    },
    resolve: async (_root, args, ctx) => {
      const page = await searchComponents(ctx, args, args.first ?? 50, args.after);
      return {
        page,
        edges: page.components.map((component, index) => ({ cursor: page.cursors[index]!, node: component })),
        pageInfo: {
          hasNextPage: page.hasNextPage,
          hasPreviousPage: false,
          startCursor: page.cursors[0] ?? null,
          endCursor: page.cursors.at(-1) ?? null,
        },
      };
    },
  }),
);
