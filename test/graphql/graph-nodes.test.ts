import { getNamedType, isLeafType, isObjectType, type GraphQLField, type GraphQLObjectType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../src/schema/index.js';
import { SUMMARY_FIELDS } from '../../src/schema/graph.js';
import { registerGraph } from '../support/graph.js';
import { registryHarness, UPDATE, type RegistryHarness } from '../support/registry.js';

let registry: RegistryHarness;
let uuids: Record<string, string>;
beforeAll(async () => {
  registry = await registryHarness();
  uuids = await registerGraph(registry, {
    leaf: { name: 'leaf' },
    mid: { name: 'mid', deps: ['leaf@^1', 'ghost@^1'] },
    root: { name: 'root', deps: ['mid@*', '#leaf'] },
  });
  await registry.graphql(UPDATE, { uuid: uuids.mid, patch: { description: 'the middle', tags: ['m'], annotations: { a: 1 } } });
});
afterAll(() => registry.close());

/** A selection of `field`: itself for a leaf, else its leaf fields that take no required argument. */
function selectionOf(field: GraphQLField<unknown, unknown>): string {
  const type = getNamedType(field.type);
  if (isLeafType(type)) return field.name;
  const leaves = Object.values((type as GraphQLObjectType).getFields()).filter(
    (inner) => isLeafType(getNamedType(inner.type)) && inner.args.every((arg) => arg.defaultValue !== undefined || !String(arg.type).endsWith('!')),
  );
  return `${field.name} { ${leaves.map((inner) => inner.name).join(' ')} }`;
}

const componentFields = Object.values((schema.getType('Component') as GraphQLObjectType).getFields()).filter((field) =>
  field.args.every((arg) => !String(arg.type).endsWith('!')),
);

describe('graph nodes answer every Component field as a lookup does', () => {
  it('reads whole rows for any field a walk summary does not hold, one added later included', () => {
    // Every field of Component is either answered by a summary or makes the graph read whole rows: nothing
    // in between can answer from a summary's missing parts.
    for (const field of componentFields) expect(isObjectType(getNamedType(field.type)) || isLeafType(getNamedType(field.type))).toBe(true);
    expect(componentFields.filter((field) => !SUMMARY_FIELDS.has(field.name)).map((field) => field.name)).toEqual(
      expect.arrayContaining(['metadata', 'dependencies', 'dependents', 'history']),
    );
  });

  it.each(componentFields.map((field) => [field.name, selectionOf(field)]))('%s', async (_name, selection) => {
    for (const direction of ['DEPENDENCIES', 'DEPENDENTS']) {
      const root = direction === 'DEPENDENCIES' ? uuids.root : uuids.leaf;
      const graph = await registry.graphql(`query($r: UUID!, $d: GraphDirection) { dependencyGraph(root: $r, direction: $d) {
        root { uuid ${selection} } nodes { component { uuid ${selection} } } } }`, { r: root, d: direction });
      expect(graph.errors).toBeUndefined();
      const { nodes, root: rootNode } = graph.data!.dependencyGraph;
      expect(nodes).toHaveLength(3);
      for (const component of [rootNode, ...nodes.map((node: { component: unknown }) => node.component)]) {
        const direct = await registry.graphql(`query($u: UUID!) { component(uuid: $u) { uuid ${selection} } }`, { u: component.uuid });
        expect(component).toEqual(direct.data!.component);
      }
    }
  });
});
