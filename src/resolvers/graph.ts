import { isUuid, type ComponentSummary } from './component-row.js';
import type { RegistryContext } from './context.js';
import { BadUserInputError, NotFoundError } from './errors.js';
import { declarationsTowards, DependencyResolver, levelFrom, summariesOf, type Declaration, type SqlReader } from './resolution.js';

export type GraphDirection = 'DEPENDENCIES' | 'DEPENDENTS';

/** Server-side bounds: whatever a client asks, one request walks at most this far and this wide. */
export const GRAPH_LIMITS = { maxDepth: 1_000, maxNodes: 250_000, maxCycles: 1_000 } as const;

export interface GraphEdge {
  /** The component that declares the dependency. */
  readonly from: string;
  /** The component it resolves to. */
  readonly to: string;
  /** The range that produced the edge; null for a dependency pinned by uuid. */
  readonly versionSpec: string | null;
}

export interface UnresolvedDependency {
  readonly from: string;
  readonly name: string | null;
  readonly versionSpec: string | null;
  readonly uuid: string | null;
}

export interface GraphNode {
  readonly uuid: string;
  /** Levels from the root, which is at 0. */
  readonly depth: number;
  /** The component without its document, read on the way (only in part without `summaries`). */
  readonly summary: ComponentSummary;
}

export interface DependencyGraph {
  readonly root: GraphNode;
  /** Every component reached, with its distance from the root, in the order reached. */
  readonly nodes: readonly GraphNode[];
  readonly edges: GraphEdge[];
  readonly unresolved: UnresolvedDependency[];
  /** Each cycle as a closed path of uuids, first and last the same. */
  readonly cycles: string[][];
  readonly truncated: boolean;
}

export interface GraphBounds {
  readonly direction?: GraphDirection | null;
  readonly maxDepth?: number | null;
  readonly maxNodes?: number | null;
  /**
   * False when the caller will show no more of a node than its uuid, name, version and lifecycle: the walk
   * then reads only those, which matters on graphs of a hundred thousand nodes.
   */
  readonly summaries?: boolean;
}

function bound(value: number | null | undefined, cap: number, argument: string): number {
  if (value == null) return cap;
  if (!Number.isInteger(value) || value < 0) throw new BadUserInputError(`${argument} must be 0 or more (got ${value})`, argument);
  return Math.min(value, cap);
}

export interface LevelEdges {
  readonly edges: GraphEdge[];
  readonly unresolved: Declaration[];
  /** Summaries read on the way: when walking towards dependencies, those of every candidate. */
  readonly summaries: readonly ComponentSummary[];
}

/** One level outwards: the edges leaving `frontier` in the chosen direction, and what did not resolve. */
export async function expandLevel(
  db: SqlReader,
  resolver: DependencyResolver,
  direction: GraphDirection,
  frontier: readonly { uuid: string; name: string }[],
  summaries = true,
): Promise<LevelEdges> {
  const edges: GraphEdge[] = [];
  const unresolved: Declaration[] = [];
  const uuids = frontier.map((node) => node.uuid);
  if (direction === 'DEPENDENCIES') {
    // In the frontier's own order, so nodes appear breadth-first in the order the metadata declares them.
    const level = await levelFrom(db, uuids, summaries);
    resolver.rememberLevel(level);
    for (const declaration of level.declarations) {
      const to = resolver.resolve(declaration);
      if (to === null) unresolved.push(declaration);
      else edges.push({ from: declaration.from, to, versionSpec: declaration.versionSpec });
    }
    return { edges, unresolved, summaries: level.candidates };
  } else {
    const targets = new Set(uuids);
    const declarations = await declarationsTowards(db, uuids, frontier.map((node) => node.name));
    await resolver.prepare(declarations);
    for (const declaration of declarations) {
      const to = resolver.resolve(declaration);
      if (to !== null && targets.has(to)) edges.push({ from: declaration.from, to, versionSpec: declaration.versionSpec });
    }
    return { edges, unresolved, summaries: [] };
  }
}

/**
 * The whole graph reachable from `root` in one direction, walked breadth-first with one statement per
 * level (its declarations with the candidates they need), so round trips grow with the levels, not the
 * nodes. Cycles do not stop it: a component already reached is not expanded again.
 */
export async function dependencyGraph(ctx: RegistryContext, root: string, bounds: GraphBounds = {}): Promise<DependencyGraph> {
  if (!isUuid(root)) throw new BadUserInputError(`"${root}" is not a UUID`, 'root');
  const direction = bounds.direction ?? 'DEPENDENCIES';
  const maxDepth = bound(bounds.maxDepth, GRAPH_LIMITS.maxDepth, 'maxDepth');
  const maxNodes = Math.max(1, bound(bounds.maxNodes, GRAPH_LIMITS.maxNodes, 'maxNodes'));
  const db: SqlReader = ctx.db;
  const [rootSummary] = await summariesOf(db, [root.toLowerCase()]);
  if (!rootSummary) throw new NotFoundError(`no component has uuid ${root}`);

  const resolver = new DependencyResolver(db);
  const summaries = new Map<string, ComponentSummary>([[rootSummary.uuid, rootSummary]]);
  const depths = new Map<string, number>([[rootSummary.uuid, 0]]);
  const edges: GraphEdge[] = [];
  const unresolved: UnresolvedDependency[] = [];
  let truncated = false;
  let frontier: Array<{ uuid: string; name: string }> = [rootSummary];
  for (let depth = 0; frontier.length > 0; depth += 1) {
    const level = await expandLevel(db, resolver, direction, frontier, bounds.summaries ?? true);
    for (const summary of level.summaries) summaries.set(summary.uuid, summary);
    // A loop, not push(...list): a level can hold more entries than a call can take arguments.
    for (const { from, name, versionSpec, uuid } of level.unresolved) unresolved.push({ from, name, versionSpec, uuid });
    if (depth >= maxDepth) {
      // The last level allowed: what lies beyond is only noted, as truncation.
      truncated ||= level.edges.some((edge) => !depths.has(direction === 'DEPENDENCIES' ? edge.to : edge.from));
      for (const edge of level.edges) if (depths.has(edge.from) && depths.has(edge.to)) edges.push(edge);
      break;
    }
    const next: string[] = [];
    for (const edge of level.edges) {
      const reached = direction === 'DEPENDENCIES' ? edge.to : edge.from;
      if (!depths.has(reached)) {
        if (depths.size >= maxNodes) {
          truncated = true;
          continue;
        }
        depths.set(reached, depth + 1);
        next.push(reached);
      }
      edges.push(edge);
    }
    // Walking towards dependents meets new components by their declarations: read their summaries (and names).
    if (direction === 'DEPENDENTS') for (const summary of await summariesOf(db, next)) summaries.set(summary.uuid, summary);
    frontier = next.map((uuid) => ({ uuid, name: summaries.get(uuid)!.name }));
  }
  const nodes = [...depths].map(([uuid, depth]) => ({ uuid, depth, summary: summaries.get(uuid)! }));
  return {
    root: nodes[0]!,
    nodes,
    edges,
    unresolved,
    cycles: findCycles(nodes.map((node) => node.uuid), edges, GRAPH_LIMITS.maxCycles),
    truncated,
  };
}

/**
 * Every cycle a depth-first search meets, one per edge that closes back onto the search path, as closed
 * paths (first uuid repeated last). Iterative, so a deep graph cannot overflow the stack, and on integer
 * indices, since a whole graph can hold hundreds of thousands of edges.
 */
export function findCycles(nodes: readonly string[], edges: readonly GraphEdge[], limit: number): string[][] {
  const index = new Map<string, number>();
  for (const node of nodes) index.set(node, index.size);
  // Adjacency in compressed rows: the targets of node i are targets[start[i] .. start[i + 1]).
  const start = new Int32Array(nodes.length + 1);
  const from = new Int32Array(edges.length);
  const to = new Int32Array(edges.length);
  edges.forEach((edge, e) => {
    from[e] = index.get(edge.from)!;
    to[e] = index.get(edge.to)!;
    start[from[e]! + 1]! += 1;
  });
  for (let i = 0; i < nodes.length; i += 1) start[i + 1]! += start[i]!;
  const targets = new Int32Array(edges.length);
  const fill = start.slice(0, nodes.length);
  for (let e = 0; e < edges.length; e += 1) targets[fill[from[e]!]!++] = to[e]!;

  const cycles: string[][] = [];
  const state = new Uint8Array(nodes.length); // 0 unvisited, 1 on the search path, 2 done
  const pathPosition = new Int32Array(nodes.length);
  const path: number[] = [];
  const cursor: number[] = [];
  for (let root = 0; root < nodes.length; root += 1) {
    if (state[root] !== 0) continue;
    path.push(root);
    cursor.push(start[root]!);
    state[root] = 1;
    pathPosition[root] = 0;
    while (path.length > 0) {
      const node = path[path.length - 1]!;
      const next = cursor[cursor.length - 1]!;
      if (next < start[node + 1]!) {
        cursor[cursor.length - 1] = next + 1;
        const target = targets[next]!;
        if (state[target] === 1) {
          if (cycles.length < limit) cycles.push([...path.slice(pathPosition[target]!), target].map((i) => nodes[i]!));
        } else if (state[target] === 0) {
          state[target] = 1;
          pathPosition[target] = path.length;
          path.push(target);
          cursor.push(start[target]!);
        }
      } else {
        state[node] = 2;
        path.pop();
        cursor.pop();
      }
    }
  }
  return cycles;
}
