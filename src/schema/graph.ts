import { Kind, type GraphQLObjectType, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import type { ComponentMetadata } from '../metadata/validate.js';
import { asOfOf, componentsAsOf, dependentsAsOf, resolveDependenciesAsOf } from '../resolvers/as-of.js';
import { componentsByUuid, dependentsOf, resolveDependencies, type DeclaredDependency } from '../resolvers/batch.js';
import type { Component, ComponentSummary } from '../resolvers/component-row.js';
import { dependencyGraph, type DependencyGraph, type GraphBounds, type GraphEdge, type UnresolvedDependency } from '../resolvers/graph.js';
import type { GraphQLContext } from './context.js';
import { builder } from './builder.js';
import { requires } from './capabilities.js';
import { ComponentRef } from './component.js';

const GraphDirectionEnum = builder.enumType('GraphDirection', {
  values: {
    DEPENDENCIES: { description: 'What the root needs, transitively.' },
    DEPENDENTS: { description: 'What needs the root, transitively.' },
  } as const,
});

/** A declared dependency, and the instant its component was read as of (null: now), which its resolution follows. */
type DependencyAt = DeclaredDependency & { readonly asOf: Date | null };

// Loader keys for one declared dependency; JSON keeps name, range, uuid and instant apart whatever they contain.
const dependencyKey = (dependency: DependencyAt) =>
  JSON.stringify([dependency.name, dependency.versionSpec, dependency.uuid, dependency.asOf?.toISOString() ?? null]);
const parseDependencyKey = (key: string): DependencyAt => {
  const [name, versionSpec, uuid, asOf] = JSON.parse(key) as [string | null, string | null, string | null, string | null];
  return { name, versionSpec, uuid, asOf: asOf === null ? null : new Date(asOf) };
};

/**
 * Loads keyed items in groups of one instant each (now, or one asOf), each group with its own loader, and puts
 * the answers back in the order of the keys.
 */
async function byInstant<Item extends { asOf: Date | null }, Result>(
  items: readonly Item[],
  load: (group: Item[], asOf: Date | null) => Promise<readonly Result[]>,
): Promise<Result[]> {
  const groups = new Map<number | null, number[]>();
  items.forEach((item, index) => {
    const instant = item.asOf?.getTime() ?? null;
    const group = groups.get(instant);
    if (group) group.push(index);
    else groups.set(instant, [index]);
  });
  const results: Result[] = new Array(items.length);
  for (const indices of groups.values()) {
    const group = indices.map((index) => items[index]!);
    const answers = await load(group, group[0]!.asOf);
    indices.forEach((index, position) => (results[index] = answers[position]!));
  }
  return results;
}

/** Every field name selected anywhere below the current field, fragments included. */
export function selectedFieldNames(info: GraphQLResolveInfo): Set<string> {
  const names = new Set<string>();
  const pending: SelectionSetNode[] = info.fieldNodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
  while (pending.length > 0) {
    for (const selection of pending.pop()!.selections) {
      if (selection.kind === Kind.FIELD) {
        names.add(selection.name.value);
        if (selection.selectionSet) pending.push(selection.selectionSet);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        pending.push(selection.selectionSet);
      } else {
        const fragment = info.fragments[selection.name.value];
        if (fragment) pending.push(fragment.selectionSet);
      }
    }
  }
  return names;
}

// What a walk reads of every node anyway, with the graph's own fields: selecting nothing else, a walk reads
// thin summaries.
const THIN_FIELDS = new Set(['__typename', 'uuid', 'name', 'version', 'lifecycle', 'root', 'nodes', 'component', 'depth',
  'edges', 'from', 'to', 'versionSpec', 'unresolved', 'cycles', 'isDag', 'truncated']);
/**
 * The Component fields a summary answers as a whole row would (src/resolvers/component-row.ts). Any other
 * Component field selected under dependencyGraph, one added later included, makes the graph read whole rows.
 */
export const SUMMARY_FIELDS = new Set(['__typename', 'uuid', 'name', 'version', 'lifecycle', 'type', 'description', 'owner',
  'tags', 'revision', 'createdAt', 'updatedAt']);

interface GraphView {
  readonly graph: DependencyGraph;
  /** Each node's component, in node order, as the Component type serves it. */
  readonly components: readonly Component[];
}

/** A node as GraphNode serves it: both fields plain properties, so that graphql-jit reads them inline, calling nothing per node. */
interface GraphNodeView {
  readonly depth: number;
  readonly component: Component;
}

/**
 * A summary served as a Component, itself and not a copy: only ever for a selection of SUMMARY_FIELDS, which a
 * full summary holds, so no selected field reads the document or the instant a whole row carries.
 */
const asComponent = (summary: ComponentSummary) => summary as unknown as Component;

/**
 * A summary standing in for a whole row the database no longer had: its document is an empty object, and a graph
 * read as of an instant keeps it, for the fields that read them.
 */
const summaryView = (summary: ComponentSummary, asOf?: Date | null) => ({ ...summary, document: {}, ...(asOf ? { asOf } : {}) }) as Component;

/**
 * The graph with every node's component as the query needs it: what the walk read (only uuid, name,
 * version and lifecycle when nothing more is selected), or whole rows, read in one statement, when the
 * query selects any Component field a summary does not hold.
 */
async function graphFor(ctx: GraphQLContext, root: string, bounds: GraphBounds, info: GraphQLResolveInfo): Promise<GraphView> {
  const names = selectedFieldNames(info);
  const graph = await dependencyGraph(ctx, root, { ...bounds, summaries: [...names].some((name) => !THIN_FIELDS.has(name)) });
  const componentFields = Object.keys((info.schema.getType('Component') as GraphQLObjectType).getFields());
  const { order, walk: { summaries } } = graph;
  const { asOf } = bounds;
  if (!componentFields.some((field) => names.has(field) && !SUMMARY_FIELDS.has(field))) {
    const components = new Array<Component>(order.length);
    for (let i = 0; i < order.length; i += 1) components[i] = asComponent(summaries[order[i]!]!);
    return { graph, components };
  }
  const uuids = Array.from(order, (node) => summaries[node]!.uuid);
  const rows = asOf ? await componentsAsOf(ctx.db, uuids, asOf) : await componentsByUuid(ctx, uuids);
  return { graph, components: rows.map((row, index) => row ?? summaryView(summaries[order[index]!]!, asOf)) };
}

const DependencyRef = builder.objectRef<DependencyAt>('Dependency').implement({
  description: 'One declared dependency, by name and npm range or pinned by uuid, with what it resolves to now.',
  fields: (t) => ({
    name: t.exposeString('name', { nullable: true }),
    versionSpec: t.exposeString('versionSpec', { nullable: true }),
    uuid: t.expose('uuid', { type: 'UUID', nullable: true }),
    resolved: t.loadable({
      type: ComponentRef,
      nullable: true,
      description: 'The highest non-retired version satisfying the range, or the pinned entry; null when none.',
      load: async (keys: string[], ctx) =>
        byInstant(keys.map(parseDependencyKey), (group, asOf) => (asOf ? resolveDependenciesAsOf(ctx, group, asOf) : resolveDependencies(ctx, group))),
      resolve: dependencyKey,
    }),
  }),
});

builder.objectField(ComponentRef, 'dependencies', (t) =>
  t.field({
    type: [DependencyRef],
    description: 'Declared dependencies in the order the metadata lists them, each with its current resolution.',
    resolve: (component) => {
      const asOf = asOfOf(component);
      return ((component.document as unknown as ComponentMetadata).dependencies ?? []).map((dependency) =>
        'uuid' in dependency
          ? { name: null, versionSpec: null, uuid: dependency.uuid, asOf }
          : { name: dependency.name, versionSpec: dependency.version_spec, uuid: null, asOf },
      );
    },
  }),
);

builder.objectField(ComponentRef, 'dependents', (t) =>
  t.loadableList({
    type: ComponentRef,
    description: 'The entries whose dependencies resolve to this one now.',
    load: (keys: string[], ctx) =>
      byInstant(
        keys.map((key) => JSON.parse(key) as { uuid: string; name: string; asOf: string | null }).map((key) => ({ ...key, asOf: key.asOf === null ? null : new Date(key.asOf) })),
        (group, asOf) => (asOf ? dependentsAsOf(ctx, group, asOf) : dependentsOf(ctx, group)),
      ),
    resolve: (component: Component) => JSON.stringify({ uuid: component.uuid, name: component.name, asOf: asOfOf(component)?.toISOString() ?? null }),
  }),
);

const GraphNodeRef = builder.objectRef<GraphNodeView>('GraphNode').implement({
  fields: (t) => ({
    component: t.expose('component', { type: ComponentRef }),
    depth: t.exposeInt('depth', { description: 'Levels from the root, which is at 0.' }),
  }),
});

const GraphEdgeRef = builder.objectRef<GraphEdge>('GraphEdge').implement({
  description: '`from` depends on `to`, in either direction of walking.',
  fields: (t) => ({
    from: t.expose('from', { type: 'UUID' }),
    to: t.expose('to', { type: 'UUID' }),
    versionSpec: t.exposeString('versionSpec', { nullable: true, description: 'Null for a dependency pinned by uuid.' }),
  }),
});

const UnresolvedDependencyRef = builder.objectRef<UnresolvedDependency>('UnresolvedDependency').implement({
  description: 'A declared dependency that nothing in the registry satisfies now.',
  fields: (t) => ({
    from: t.expose('from', { type: 'UUID' }),
    name: t.exposeString('name', { nullable: true }),
    versionSpec: t.exposeString('versionSpec', { nullable: true }),
    uuid: t.expose('uuid', { type: 'UUID', nullable: true }),
  }),
});

const DependencyGraphRef = builder.objectRef<GraphView>('DependencyGraph').implement({
  fields: (t) => ({
    root: t.field({ type: ComponentRef, resolve: ({ components }) => components[0]! }),
    nodes: t.field({
      type: [GraphNodeRef],
      resolve: ({ graph: { order, depths }, components }) => {
        const nodes = new Array<GraphNodeView>(order.length);
        for (let i = 0; i < order.length; i += 1) nodes[i] = { depth: depths[order[i]!]!, component: components[i]! };
        return nodes;
      },
    }),
    edges: t.field({ type: [GraphEdgeRef], resolve: ({ graph }) => graph.edges }),
    unresolved: t.field({ type: [UnresolvedDependencyRef], resolve: ({ graph }) => graph.unresolved }),
    cycles: t.field({
      type: t.listRef(t.listRef('UUID')),
      description: 'Each cycle met, as a closed path of uuids (the first repeated last).',
      resolve: ({ graph }) => graph.cycles,
    }),
    isDag: t.boolean({ resolve: ({ graph }) => graph.cycles.length === 0 }),
    truncated: t.boolean({
      description: 'True when maxDepth, maxNodes or the server caps stopped the walk before its end.',
      resolve: ({ graph }) => graph.truncated,
    }),
  }),
});

builder.queryField('dependencyGraph', (t) =>
  t.field({
    ...requires('REGISTRY_READ'),
    type: DependencyGraphRef,
    description:
      'The whole graph reachable from root in one request, walked in the database in one statement. Ranges ' +
      'resolve as they do now, or with asOf as they did at that instant (inclusive), over the versions, lifecycles and ' +
      'declarations of then; cycles are reported, never followed twice. The server caps depth at 1000 and ' +
      'nodes at 250000 whatever is asked.',
    args: {
      root: t.arg({ type: 'UUID', required: true }),
      direction: t.arg({ type: GraphDirectionEnum, defaultValue: 'DEPENDENCIES' }),
      maxDepth: t.arg.int(),
      maxNodes: t.arg.int(),
      asOf: t.arg({ type: 'DateTime' }),
    },
    resolve: (_root, args, ctx, info) => graphFor(ctx, args.root, args, info),
  }),
);
