import { isUuid, type ComponentSummary } from './component-row.js';
import type { RegistryContext } from './context.js';
import { BadUserInputError, NotFoundError } from './errors.js';
import { walkGraphAsOf } from './as-of.js';
import { walkGraph, type GraphDirection, type WalkEdge } from './graph-walk.js';

export type { GraphDirection };

/**
 * Server-side bounds: whatever a client asks, one request walks at most this far and this wide, and the database
 * reads at most maxDeclarations declarations for it.
 */
export const GRAPH_LIMITS = { maxDepth: 1_000, maxNodes: 250_000, maxCycles: 1_000, maxDeclarations: 2_000_000 } as const;

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
  /** Walk the registry as it stood at this instant (src/resolvers/as-of.ts) instead of now. */
  readonly asOf?: Date | null;
}

function bound(value: number | null | undefined, cap: number, argument: string): number {
  if (value == null) return cap;
  if (!Number.isInteger(value) || value < 0) throw new BadUserInputError(`${argument} must be 0 or more (got ${value})`, argument);
  return Math.min(value, cap);
}

/**
 * The whole graph reachable from `root` in one direction, in one statement whatever its depth: the database walks
 * the declarations and resolves every range (src/resolvers/graph-walk.ts), then the levels are laid out here,
 * breadth-first as the metadata lists the declarations, each component at the level it is first reached and
 * expanded once. Cycles do not stop it; they are reported.
 */
export async function dependencyGraph(ctx: RegistryContext, root: string, bounds: GraphBounds = {}): Promise<DependencyGraph> {
  if (!isUuid(root)) throw new BadUserInputError(`"${root}" is not a UUID`, 'root');
  const direction = bounds.direction ?? 'DEPENDENCIES';
  const maxDepth = bound(bounds.maxDepth, GRAPH_LIMITS.maxDepth, 'maxDepth');
  const maxNodes = Math.max(1, bound(bounds.maxNodes, GRAPH_LIMITS.maxNodes, 'maxNodes'));
  const rootUuid = root.toLowerCase();
  const options = {
    direction,
    // The closure form reads each declaration once; a bound below the server's only saves work on large graphs.
    maxDepth: maxDepth < GRAPH_LIMITS.maxDepth ? maxDepth : null,
    summaries: bounds.summaries ?? true,
    rowCap: GRAPH_LIMITS.maxDeclarations,
  };
  const walk = bounds.asOf ? await walkGraphAsOf(ctx.db, rootUuid, { ...options, asOf: bounds.asOf }) : await walkGraph(ctx.db, rootUuid, options);
  const summaries = new Map(walk.summaries.map((summary) => [summary.uuid, summary]));
  const rootSummary = summaries.get(rootUuid);
  if (!rootSummary) throw new NotFoundError(`no component has uuid ${root}`);

  // Each component's declarations (towards dependents, those resolving to it) in the order they are met.
  const outwards = new Map<string, WalkEdge[]>();
  for (const edge of walk.edges) {
    const key = direction === 'DEPENDENCIES' ? edge.from : edge.to;
    if (key === null) continue;
    const list = outwards.get(key);
    if (list) list.push(edge);
    else outwards.set(key, [edge]);
  }
  const byPosition = (a: WalkEdge, b: WalkEdge) => a.position - b.position;
  const byDependent = (a: WalkEdge, b: WalkEdge) => (a.from < b.from ? -1 : a.from > b.from ? 1 : a.position - b.position);
  for (const list of outwards.values()) list.sort(direction === 'DEPENDENCIES' ? byPosition : byDependent);

  const depths = new Map<string, number>([[rootUuid, 0]]);
  const edges: GraphEdge[] = [];
  const unresolved: UnresolvedDependency[] = [];
  let truncated = walk.capped;
  let frontier = [rootUuid];
  for (let depth = 0; frontier.length > 0; depth += 1) {
    const level: GraphEdge[] = [];
    for (const uuid of frontier) {
      for (const edge of outwards.get(uuid) ?? []) {
        if (edge.to === null) unresolved.push({ from: edge.from, name: edge.name, versionSpec: edge.versionSpec, uuid: edge.uuid });
        else level.push(edge as GraphEdge);
      }
    }
    const reachedBy = (edge: GraphEdge) => (direction === 'DEPENDENCIES' ? edge.to : edge.from);
    if (depth >= maxDepth) {
      // The last level allowed: what lies beyond is only noted, as truncation.
      truncated ||= level.some((edge) => !depths.has(reachedBy(edge)));
      for (const edge of level) if (depths.has(edge.from) && depths.has(edge.to)) edges.push(edge);
      break;
    }
    const next: string[] = [];
    for (const edge of level) {
      const reached = reachedBy(edge);
      if (!depths.has(reached)) {
        // Beyond maxNodes, or beyond what a capped walk read.
        if (depths.size >= maxNodes || !summaries.has(reached)) {
          truncated = true;
          continue;
        }
        depths.set(reached, depth + 1);
        next.push(reached);
      }
      edges.push(edge);
    }
    frontier = next;
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
