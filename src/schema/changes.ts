import { contextCacheSymbol } from '@pothos/core';
import { referencedComponents } from '../resolvers/batch.js';
import { changeCursor, listChanges, parseChangeCursor } from '../resolvers/changes.js';
import { builder } from './builder.js';
import { requires } from './capabilities.js';
import { ChangeKindEnum, ComponentRef } from './component.js';

const ChangeRef = builder.prismaObject('Change', {
  description: 'One committed write, in commit order: what a client replays to bring its cache up to date.',
  fields: (t) => ({
    sequence: t.string({ resolve: (change) => change.sequence.toString() }),
    kind: t.expose('kind', { type: ChangeKindEnum }),
    uuid: t.expose('componentUuid', { type: 'UUID' }),
    revision: t.exposeInt('revision', { description: 'The revision this write produced.' }),
    at: t.expose('at', { type: 'DateTime' }),
    component: t.loadable({
      type: ComponentRef,
      description: 'The component as it is now.',
      // A change's component always exists (foreign key), so a miss is a real error, not a null.
      load: (uuids: string[], ctx) => referencedComponents(ctx, uuids),
      resolve: (change) => change.componentUuid,
    }),
  }),
});

const ChangeConnection = builder.connectionObject({ type: ChangeRef, name: 'ChangeConnection' }, { name: 'ChangeEdge' });

builder.queryField('changes', (t) =>
  t.field({
    ...requires('REGISTRY_READ'),
    type: ChangeConnection,
    description:
      'The change feed: writes committed after the cursor `after` (from the start when omitted), oldest first. ' +
      'Keep the last endCursor and ask again to receive only what is new.',
    args: {
      after: t.arg.string(),
      first: t.arg.int({ defaultValue: 500 }),
    },
    resolve: async (_root, args, ctx) => {
      const page = await listChanges(ctx, args.after, args.first ?? 500);
      const edges = page.changes.map((change) => ({ cursor: changeCursor(change), node: change }));
      return {
        edges,
        pageInfo: {
          hasNextPage: page.hasNextPage,
          hasPreviousPage: false,
          startCursor: edges[0]?.cursor ?? null,
          // An empty page keeps the caller's cursor, so it can simply store endCursor every time.
          endCursor: edges.at(-1)?.cursor ?? args.after ?? null,
        },
      };
    },
  }),
);

builder.subscriptionType({});

builder.subscriptionField('changes', (t) =>
  t.field({
    ...requires('REGISTRY_READ'),
    type: ChangeRef,
    description:
      'The change feed, live (GraphQL over server-sent events): the writes committed after the cursor `after` ' +
      '(from the start when omitted), oldest first, then each write as it commits, on whichever instance. Resume ' +
      'after a lost connection with the sequence of the last change received: nothing is skipped or repeated.',
    args: { after: t.arg.string() },
    subscribe: (_root, args, ctx) => ctx.changeStreams.open(ctx.principal, parseChangeCursor(args.after)),
    resolve: (change, _args, ctx) => {
      // One context serves every event of a stream: fresh loaders per event, or a component changed twice would
      // show the first event's answer on the second.
      (ctx as { [contextCacheSymbol]?: object })[contextCacheSymbol] = {};
      return change;
    },
  }),
);
