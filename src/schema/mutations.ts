import { MAX_BATCH, registerComponent, registerComponents } from '../resolvers/register.js';
import { updateComponent } from '../resolvers/update.js';
import { builder } from './builder.js';
import { requires } from './capabilities.js';
import { ComponentRef } from './component.js';

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
