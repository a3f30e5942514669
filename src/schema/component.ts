import { ChangeKind, ComponentType, Lifecycle } from '../generated/prisma/enums.js';
import { historiesOf } from '../resolvers/batch.js';
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
