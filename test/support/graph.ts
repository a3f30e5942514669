import { randomUUID } from 'node:crypto';
import { REGISTER, type RegistryHarness } from './registry.js';

export interface NodeSpec {
  name: string;
  version?: string;
  lifecycle?: 'experimental' | 'active' | 'deprecated' | 'retired';
  /** "name@range" for a dependency by range, or "#label" to pin another node of the same spec by uuid. */
  deps?: string[];
}

/** Registers a labelled set of components in order and returns each label's uuid. */
export async function registerGraph(harness: RegistryHarness, spec: Record<string, NodeSpec>): Promise<Record<string, string>> {
  const uuids: Record<string, string> = {};
  for (const label of Object.keys(spec)) uuids[label] = randomUUID();
  for (const [label, node] of Object.entries(spec)) {
    const dependencies = (node.deps ?? []).map((dep) => {
      if (dep.startsWith('#')) return { uuid: uuids[dep.slice(1)] ?? dep.slice(1) };
      const at = dep.lastIndexOf('@');
      return { name: dep.slice(0, at), version_spec: dep.slice(at + 1) };
    });
    const result = await harness.graphql(REGISTER, {
      metadata: {
        schema_version: '0.3',
        uuid: uuids[label],
        name: node.name,
        version: node.version ?? '1.0.0',
        type: 'tool',
        lifecycle: node.lifecycle ?? 'active',
        ...(dependencies.length ? { dependencies } : {}),
      },
    });
    if (result.errors) throw new Error(`registering ${label} failed: ${JSON.stringify(result.errors)}`);
  }
  return uuids;
}

export const GRAPH = /* GraphQL */ `
  query Graph($root: UUID!, $direction: GraphDirection, $maxDepth: Int, $maxNodes: Int) {
    dependencyGraph(root: $root, direction: $direction, maxDepth: $maxDepth, maxNodes: $maxNodes) {
      root { uuid }
      nodes { depth component { uuid name version } }
      edges { from to versionSpec }
      unresolved { from name versionSpec uuid }
      cycles
      isDag
      truncated
    }
  }
`;

/** Replaces uuids by labels throughout a value, so expectations read like the spec. */
export function labelled<T>(value: T, uuids: Record<string, string>): T {
  const labels = new Map(Object.entries(uuids).map(([label, uuid]) => [uuid, label]));
  return JSON.parse(JSON.stringify(value), (_key, item) => (typeof item === 'string' && labels.has(item) ? labels.get(item) : item));
}
