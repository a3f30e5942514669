import { ChangeKind, ComponentType, Lifecycle } from '../generated/prisma/enums.js';
import { historiesOf } from '../resolvers/batch.js';
import { lookupComponent } from '../resolvers/lookup.js';
import { MAX_BATCH, registerComponent, registerComponents } from '../resolvers/register.js';
import { updateComponent } from '../resolvers/update.js';
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

const ComponentRevisionRef = builder.prismaObject('ComponentRevision', {
  description: 'The document as one register or update left it.',
  fields: (t) => ({
    revision: t.exposeInt('revision'),
    metadata: t.expose('document', { type: 'JSON' }),
    patch: t.expose('patch', { type: 'JSON', nullable: true, description: 'The merge patch applied; null at registration.' }),
    actor: t.exposeString('actor', { nullable: true }),
    at: t.expose('at', { type: 'DateTime' }),
  }),
});

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
      description: 'Every revision, oldest first.',
      load: (uuids: string[], ctx) => historiesOf(ctx, uuids),
      resolve: (component) => component.uuid,
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
      'non-retired version that satisfies the range. Null when nothing matches.',
    args: {
      uuid: t.arg({ type: 'UUID' }),
      name: t.arg.string(),
      versionSpec: t.arg.string(),
    },
    resolve: (_root, args, ctx) => lookupComponent(ctx, args),
  }),
);

const RegisterPayload = builder
  .objectRef<{ registered: boolean; component: { uuid: string } }>('RegisterPayload')
  .implement({
    fields: (t) => ({
      registered: t.exposeBoolean('registered', {
        description: 'False when this exact document was already registered: registering is idempotent.',
      }),
      uuid: t.field({ type: 'UUID', resolve: (payload) => payload.component.uuid }),
      component: t.field({ type: ComponentRef, resolve: (payload) => payload.component as never }),
    }),
  });

const UpdatePayload = builder
  .objectRef<{ changed: boolean; component: { uuid: string; revision: number } }>('UpdatePayload')
  .implement({
    fields: (t) => ({
      changed: t.exposeBoolean('changed', { description: 'False when the patch left the document as it was.' }),
      uuid: t.field({ type: 'UUID', resolve: (payload) => payload.component.uuid }),
      revision: t.int({ resolve: (payload) => payload.component.revision }),
      component: t.field({ type: ComponentRef, resolve: (payload) => payload.component as never }),
    }),
  });

builder.mutationField('register', (t) =>
  t.field({
    ...requires('REGISTRY_WRITE'),
    type: RegisterPayload,
    description: 'Registers one component version from its metadata document (YAML parsed to JSON).',
    args: { metadata: t.arg({ type: 'JSON', required: true }) },
    resolve: (_root, args, ctx) => registerComponent(ctx, args.metadata),
  }),
);

const RegisterManyPayload = builder
  .objectRef<{ results: Array<{ registered: boolean; component: { uuid: string } }>; registered: number; unchanged: number }>(
    'RegisterManyPayload',
  )
  .implement({
    fields: (t) => ({
      results: t.field({ type: [RegisterPayload], description: 'One per document, in the order given.', resolve: (payload) => payload.results }),
      registered: t.exposeInt('registered', { description: 'How many documents were new.' }),
      unchanged: t.exposeInt('unchanged', { description: 'How many were already registered exactly as given.' }),
    }),
  });

builder.mutationField('registerMany', (t) =>
  t.field({
    ...requires('REGISTRY_WRITE'),
    type: RegisterManyPayload,
    description:
      `Registers up to ${MAX_BATCH.toLocaleString('en')} component versions in one transaction, all or nothing, each ` +
      'after what it depends on within the batch. A refusal names the document by its position: `extensions.index`.',
    args: { metadata: t.arg({ type: ['JSON'], required: true }) },
    resolve: (_root, args, ctx) => registerComponents(ctx, args.metadata),
  }),
);

builder.mutationField('update', (t) =>
  t.field({
    ...requires('REGISTRY_WRITE'),
    type: UpdatePayload,
    description:
      'Applies an RFC 7396 merge patch to the stored document. uuid, name, version and schema_version cannot ' +
      'change. With expectedRevision, the update is refused unless the component is still at that revision.',
    args: {
      uuid: t.arg({ type: 'UUID', required: true }),
      patch: t.arg({ type: 'JSON', required: true }),
      expectedRevision: t.arg.int(),
    },
    resolve: (_root, args, ctx) => updateComponent(ctx, args.uuid, args.patch, args.expectedRevision),
  }),
);
