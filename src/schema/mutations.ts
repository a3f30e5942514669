import { cursorToOffset, offsetToCursor } from '@pothos/plugin-relay';
import type { GraphQLResolveInfo } from 'graphql';
import { componentsByUuid } from '../resolvers/batch.js';
import type { Component } from '../resolvers/component-row.js';
import { BadUserInputError } from '../resolvers/errors.js';
import { GRAPH_LIMITS } from '../resolvers/graph.js';
import { affectedBy, type Impact, type ImpactEdge } from '../resolvers/impact.js';
import { MAX_BATCH, registerComponent, registerComponents, type RegisterManyResult, type RegisterResult } from '../resolvers/register.js';
import { updateComponent, type UpdateResult } from '../resolvers/update.js';
import type { WriteOptions } from '../resolvers/write.js';
import { builder } from './builder.js';
import { requires } from './capabilities.js';
import { ComponentRef } from './component.js';
import { selectedFieldNames } from './graph.js';
import { ComponentConnection } from './search.js';

/** The most entries one page of an impact's edges or affected components holds. */
export const IMPACT_PAGE_LIMIT = 1_000;

/** One page of `items`, as a Relay connection with offset cursors; bad paging arguments are the client's error. */
function pageOf<T>(items: readonly T[], first: number | null | undefined, after: string | null | undefined) {
  const size = first ?? 100;
  if (!Number.isInteger(size) || size < 0 || size > IMPACT_PAGE_LIMIT) {
    throw new BadUserInputError(`first must be between 0 and ${IMPACT_PAGE_LIMIT} (got ${size})`, 'first');
  }
  let start = 0;
  if (after != null) {
    let offset = Number.NaN;
    try {
      offset = cursorToOffset(after);
    } catch {
      // reported below
    }
    if (!Number.isInteger(offset) || offset < 0) throw new BadUserInputError(`"${after}" is not a cursor of this list`, 'after');
    start = offset + 1;
  }
  const slice = items.slice(start, start + size);
  const cursors = slice.map((_, index) => offsetToCursor(start + index));
  return {
    page: { totalCount: () => items.length },
    edges: slice.map((node, index) => ({ cursor: cursors[index]!, node })),
    pageInfo: {
      hasNextPage: start + size < items.length,
      hasPreviousPage: start > 0,
      startCursor: cursors[0] ?? null,
      endCursor: cursors.at(-1) ?? null,
    },
  };
}

const ImpactKindEnum = builder.enumType('ImpactKind', {
  description: 'How a write changes what one declared dependency resolves to.',
  values: {
    MOVED: { description: 'It resolved to one version and now resolves to another.' },
    RESOLVED: { description: 'Nothing satisfied it; now something does.' },
    STRANDED: { description: 'It resolved to a version; now nothing satisfies it.' },
  },
});

const ImpactEdgeRef = builder.objectRef<ImpactEdge>('ImpactEdge').implement({
  description: 'One declared dependency whose resolution the write changes.',
  fields: (t) => ({
    dependent: t.field({
      type: ComponentRef,
      description: 'The component that declares the dependency.',
      resolve: (edge) => edge.dependent,
    }),
    position: t.exposeInt('position', { description: "The dependency's place in the dependent's `dependencies`, from 0." }),
    versionSpec: t.exposeString('versionSpec', { description: 'The range declared; for a dependency pinned by uuid, that uuid.' }),
    before: t.field({
      type: ComponentRef,
      nullable: true,
      description: 'What it resolved to before the write; null when nothing satisfied it.',
      resolve: (edge) => edge.before as never,
    }),
    after: t.field({
      type: ComponentRef,
      nullable: true,
      description: 'What it resolves to after the write; null when nothing satisfies it.',
      resolve: (edge) => edge.after as never,
    }),
    kind: t.field({ type: ImpactKindEnum, resolve: (edge) => edge.kind }),
  }),
});

const ImpactEdgeConnection = builder.connectionObject(
  {
    type: ImpactEdgeRef,
    name: 'ImpactEdgeConnection',
    fields: (t) => ({
      totalCount: t.int({ resolve: (connection) => (connection as unknown as { page: { totalCount(): number } }).page.totalCount() }),
    }),
  },
  { name: 'ImpactEdgeEdge' },
);

const ImpactRef = builder.objectRef<Impact>('Impact').implement({
  description:
    'What a write changes (or, in a dry run, would change) in the resolution of the dependencies that name what it ' +
    'writes: every declaration outside the write whose answer moves to another version, resolves where it did ' +
    'not, or is left unresolved.',
  fields: (t) => ({
    moved: t.exposeInt('moved'),
    resolved: t.exposeInt('resolved'),
    stranded: t.exposeInt('stranded'),
    edges: t.field({
      type: ImpactEdgeConnection,
      description: `Each changed declaration, by dependent name and version; at most ${IMPACT_PAGE_LIMIT} a page.`,
      args: { first: t.arg.int({ defaultValue: 100 }), after: t.arg.string() },
      resolve: (impact, args) => pageOf(impact.edges, args.first, args.after) as never,
    }),
    affected: t.field({
      type: ComponentConnection,
      description:
        'Every component the change reaches: the dependents whose declarations it changes (depth 1), what depends ' +
        'on them, and so on up to maxDepth (the whole closure without it, within the graph caps), as the registry ' +
        `stands now; by name, newest version first, at most ${IMPACT_PAGE_LIMIT} a page.`,
      args: { maxDepth: t.arg.int(), first: t.arg.int({ defaultValue: 100 }), after: t.arg.string() },
      resolve: async (impact, args, ctx) => {
        const maxDepth = args.maxDepth ?? null;
        if (maxDepth !== null && (maxDepth < 0 || maxDepth > GRAPH_LIMITS.maxDepth)) {
          throw new BadUserInputError(`maxDepth must be between 0 and ${GRAPH_LIMITS.maxDepth} (got ${maxDepth})`, 'maxDepth');
        }
        const uuids = await affectedBy(ctx, impact, maxDepth);
        const page = pageOf(uuids, args.first, args.after);
        const rows = await componentsByUuid(ctx, page.edges.map((edge) => edge.node));
        return { ...page, edges: page.edges.flatMap((edge, index) => (rows[index] ? [{ ...edge, node: rows[index] }] : [])) } as never;
      },
    }),
  }),
});

/** The impact a payload carries: there whenever the field was selected (see writeOptions). */
function impactField(impact: Impact | null): Impact {
  if (!impact) throw new Error('impact was selected but not computed');
  return impact;
}

const writeArgs = builder.args((t) => ({
  dryRun: t.boolean({
    defaultValue: false,
    description: 'Perform every check of the write and report what it would do, writing nothing.',
  }),
  force: t.boolean({
    defaultValue: false,
    description: 'Make a write that leaves dependents with an unresolved dependency anyway (recorded in its revision).',
  }),
}));

/** How the write a mutation asks for is made: impact is worked out only when the answer shows it. */
function writeOptions(args: { dryRun?: boolean | null; force?: boolean | null }, info: GraphQLResolveInfo): WriteOptions {
  return { dryRun: args.dryRun ?? false, force: args.force ?? false, impact: selectedFieldNames(info).has('impact') };
}

const RegisterPayload = builder.objectRef<RegisterResult>('RegisterPayload').implement({
  fields: (t) => ({
    registered: t.exposeBoolean('registered', {
      description: 'False when this exact document was already registered: registering is idempotent.',
    }),
    uuid: t.field({ type: 'UUID', resolve: (payload) => payload.component.uuid }),
    component: t.field({ type: ComponentRef, resolve: (payload) => payload.component as never }),
    dryRun: t.exposeBoolean('dryRun', { description: 'True when nothing was written: the answer says what the write would do.' }),
    impact: t.field({ type: ImpactRef, resolve: (payload) => impactField(payload.impact) }),
  }),
});

const UpdatePayload = builder.objectRef<UpdateResult>('UpdatePayload').implement({
  fields: (t) => ({
    changed: t.exposeBoolean('changed', { description: 'False when the patch left the document as it was.' }),
    uuid: t.field({ type: 'UUID', resolve: (payload) => payload.component.uuid }),
    revision: t.int({ resolve: (payload) => payload.component.revision }),
    component: t.field({ type: ComponentRef, resolve: (payload) => payload.component as Component as never }),
    dryRun: t.exposeBoolean('dryRun', { description: 'True when nothing was written: the answer says what the update would do.' }),
    impact: t.field({ type: ImpactRef, resolve: (payload) => impactField(payload.impact) }),
  }),
});

builder.mutationField('register', (t) =>
  t.field({
    ...requires('REGISTRY_WRITE'),
    type: RegisterPayload,
    description: 'Registers one component version from its metadata document (YAML parsed to JSON).',
    args: { metadata: t.arg({ type: 'JSON', required: true }), ...writeArgs },
    resolve: (_root, args, ctx, info) => registerComponent(ctx, args.metadata, writeOptions(args, info)),
  }),
);

const RegisterManyPayload = builder.objectRef<RegisterManyResult>('RegisterManyPayload').implement({
  fields: (t) => ({
    results: t.field({ type: [RegisterPayload], description: 'One per document, in the order given.', resolve: (payload) => payload.results }),
    registered: t.exposeInt('registered', { description: 'How many documents were new.' }),
    unchanged: t.exposeInt('unchanged', { description: 'How many were already registered exactly as given.' }),
    dryRun: t.exposeBoolean('dryRun', { description: 'True when nothing was written: the answer says what the batch would do.' }),
    impact: t.field({
      type: ImpactRef,
      description: "The whole batch's impact; each result's is the part about its own entry.",
      resolve: (payload) => impactField(payload.impact),
    }),
  }),
});

builder.mutationField('registerMany', (t) =>
  t.field({
    ...requires('REGISTRY_WRITE'),
    type: RegisterManyPayload,
    description:
      `Registers up to ${MAX_BATCH.toLocaleString('en')} component versions in one transaction, all or nothing, each ` +
      'after what it depends on within the batch. A refusal names the document by its position: `extensions.index`.',
    args: { metadata: t.arg({ type: ['JSON'], required: true }), ...writeArgs },
    resolve: (_root, args, ctx, info) => registerComponents(ctx, args.metadata, writeOptions(args, info)),
  }),
);

builder.mutationField('update', (t) =>
  t.field({
    ...requires('REGISTRY_WRITE'),
    type: UpdatePayload,
    description:
      'Applies an RFC 7396 merge patch to the stored document. uuid, name, version and schema_version cannot ' +
      'change. With expectedRevision, the update is refused unless the component is still at that revision. ' +
      'Retiring a version that dependents still resolve to, with nothing else satisfying them, is refused ' +
      '(WOULD_STRAND_DEPENDENTS) unless forced.',
    args: {
      uuid: t.arg({ type: 'UUID', required: true }),
      patch: t.arg({ type: 'JSON', required: true }),
      expectedRevision: t.arg.int(),
      ...writeArgs,
    },
    resolve: (_root, args, ctx, info) => updateComponent(ctx, args.uuid, args.patch, args.expectedRevision, writeOptions(args, info)),
  }),
);
