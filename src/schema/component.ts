import { ChangeKind, ComponentType, Lifecycle } from '../generated/prisma/enums.js';
import { asOfOf } from '../resolvers/as-of.js';
import { documentDiffs, historyPage, historyPages, MAX_HISTORY_PAGE, revisionDiff, type HistoryEntry, type HistoryPage } from '../resolvers/history.js';
import { lookupComponent } from '../resolvers/lookup.js';
import { builder } from './builder.js';
import { requires } from './capabilities.js';

export const ComponentTypeEnum = builder.enumType(ComponentType, {
  name: 'ComponentType',
  description: 'What a component is: `type` in its metadata, upper-cased.',
});
export const LifecycleEnum = builder.enumType(Lifecycle, {
  name: 'Lifecycle',
  description: 'Where a component version stands; RETIRED versions are never chosen by a version range.',
});
export const ChangeKindEnum = builder.enumType(ChangeKind, { name: 'ChangeKind' });

const ComponentRevisionRef = builder.objectRef<HistoryEntry>('ComponentRevision').implement({
  description: 'The document as one register or update left it.',
  fields: (t) => ({
    revision: t.exposeInt('revision'),
    metadata: t.expose('document', { type: 'JSON' }),
    patch: t.expose('patch', { type: 'JSON', nullable: true, description: 'The merge patch applied; null at registration.' }),
    diff: t.field({
      type: 'JSON',
      description: 'The RFC 6902 JSON Patch from the previous revision\'s document to this one; [] for revision 1.',
      resolve: revisionDiff,
    }),
    actor: t.exposeString('actor', { nullable: true }),
    at: t.expose('at', { type: 'DateTime' }),
    forced: t.exposeBoolean('forced', {
      description: 'True when the write was made with force: true over a WOULD_STRAND_DEPENDENTS refusal.',
    }),
    stranded: t.exposeInt('stranded', {
      nullable: true,
      description: 'For a forced write, how many dependents it left with a dependency nothing satisfies; null otherwise.',
    }),
  }),
});

// Loader keys: JSON keeps the parts apart.
const pageKey = (page: HistoryPage) => JSON.stringify([page.uuid, page.upTo, page.first]);
const parsePageKey = (key: string): HistoryPage => {
  const [uuid, upTo, first] = JSON.parse(key) as [string, number | null, number];
  return { uuid, upTo, first };
};

export const ComponentRef = builder.prismaObject('Component', {
  description: 'One registered component version: its metadata document and the fields read from it.',
  fields: (t) => ({
    uuid: t.expose('uuid', { type: 'UUID' }),
    name: t.exposeString('name'),
    version: t.exposeString('version'),
    type: t.expose('type', { type: ComponentTypeEnum }),
    lifecycle: t.expose('lifecycle', { type: LifecycleEnum }),
    description: t.exposeString('description', { nullable: true }),
    owner: t.exposeString('owner', { nullable: true }),
    tags: t.exposeStringList('tags'),
    metadata: t.expose('document', { type: 'JSON', description: 'The whole metadata document (schema v0.3).' }),
    revision: t.exposeInt('revision', { description: 'Starts at 1; each update that changes the document adds one.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    history: t.loadableList({
      type: ComponentRevisionRef,
      description:
        `Its revisions, newest first, \`first\` of them (at most ${MAX_HISTORY_PAGE.toLocaleString('en')}); \`after\` a revision ` +
        'number, the page continues with the revisions older than it. Read as of an instant, only the revisions made by then.',
      args: {
        first: t.arg.int({ defaultValue: 100 }),
        after: t.arg.string(),
      },
      load: (keys: string[], ctx) => historyPages(ctx, keys.map(parsePageKey)),
      resolve: (component, args) => pageKey(historyPage(component.uuid, component.revision, args.first ?? 100, args.after)),
    }),
    diff: t.loadable({
      type: 'JSON',
      description:
        'The RFC 6902 JSON Patch from revision `from`\'s document to revision `to`\'s ([] when they are equal). A revision ' +
        'the component does not have (or did not have yet, read as of an instant) is NOT_FOUND.',
      args: { from: t.arg.int({ required: true }), to: t.arg.int({ required: true }) },
      load: (keys: string[], ctx) => documentDiffs(ctx, keys.map((key) => JSON.parse(key))),
      resolve: (component, args) =>
        JSON.stringify({ uuid: component.uuid, from: args.from, to: args.to, upTo: asOfOf(component) ? component.revision : null }),
    }),
  }),
});


builder.queryField('component', (t) =>
  t.field({
    ...requires('REGISTRY_READ'),
    type: ComponentRef,
    nullable: true,
    description:
      'One component version, by uuid or by name and npm version range (default "*"): the highest ' +
      'non-retired version that satisfies the range. Null when nothing matches. With asOf, as the registry stood ' +
      'at that instant (inclusive): the versions registered by then, each with its lifecycle and document then.',
    args: {
      uuid: t.arg({ type: 'UUID' }),
      name: t.arg.string(),
      versionSpec: t.arg.string(),
      asOf: t.arg({ type: 'DateTime' }),
    },
    resolve: (_root, args, ctx) => lookupComponent(ctx, args),
  }),
);
