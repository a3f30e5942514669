import { isUuid, type ComponentSummary } from './component-row.js';
import type { RegistryContext } from './context.js';
import { BadUserInputError, NotFoundError } from './errors.js';
import { walkGraphAsOf } from './as-of.js';
import { indexWalk, walkGraph, type GraphDirection, type IndexedWalk } from './graph-walk.js';

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

/**
 * A graph laid out on the numbers of its walk, so that serving it copies nothing per node or edge: node i is the
 * component walk.summaries[order[i]], at level depths[order[i]]; edge k is the walk's declaration kept[k].
 */
export interface DependencyGraph {
  readonly walk: IndexedWalk;
  /** Every component reached, by its number in the walk, in the order reached: the root first. */
  readonly order: Int32Array;
  /** The level of each component, by its number in the walk (-1 for one not laid out). */
  readonly depths: Int32Array;
  /** The declarations laid out as edges, by their number in the walk, in order. */
  readonly kept: Int32Array;
  readonly unresolved: UnresolvedDependency[];
  /** Each cycle as a closed path of uuids, first and last the same. */
  readonly cycles: string[][];
  readonly truncated: boolean;
  /** The root as an object, and the nodes and edges as lists of objects: made on first use, for callers that want them. */
  readonly root: GraphNode;
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
}

class LaidOutGraph implements DependencyGraph {
  #nodes: GraphNode[] | undefined;
  #edges: GraphEdge[] | undefined;

  constructor(
    readonly walk: IndexedWalk,
    readonly order: Int32Array,
    readonly depths: Int32Array,
    readonly kept: Int32Array,
    readonly unresolved: UnresolvedDependency[],
    readonly cycles: string[][],
    readonly truncated: boolean,
  ) {}

  get root(): GraphNode {
    return this.nodes[0]!;
  }

  get nodes(): readonly GraphNode[] {
    const { summaries } = this.walk;
    this.#nodes ??= Array.from(this.order, (node) => ({ uuid: summaries[node]!.uuid, depth: this.depths[node]!, summary: summaries[node]! }));
    return this.#nodes;
  }

  get edges(): readonly GraphEdge[] {
    this.#edges ??= graphEdges(this);
    return this.#edges;
  }
}

/** The edges of a graph as objects, in order; their uuids are the walk's own strings, not copies. */
export function graphEdges({ walk, kept }: DependencyGraph): GraphEdge[] {
  const { summaries, edgeFrom, edgeTo, edgeSpec } = walk;
  // The uuids in one dense list first: reached at random through the summaries, each would cost a cache miss.
  const uuids = new Array<string>(summaries.length);
  for (let i = 0; i < summaries.length; i += 1) uuids[i] = summaries[i]!.uuid;
  const edges = new Array<GraphEdge>(kept.length);
  for (let k = 0; k < kept.length; k += 1) {
    const e = kept[k]!;
    edges[k] = { from: uuids[edgeFrom[e]!]!, to: uuids[edgeTo[e]!]!, versionSpec: edgeSpec[e] ?? null };
  }
  return edges;
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
  return layOut(indexWalk(walk), rootUuid, root, direction, maxDepth, maxNodes);
}

/**
 * The levels of a walk, on the numbers it gives its components: breadth-first from the root as the metadata lists
 * the declarations (towards dependents, by dependent uuid then position), each component at the level it is first
 * reached and expanded once, cut at maxDepth and maxNodes.
 */
export function layOut(walk: IndexedWalk, rootUuid: string, root: string, direction: GraphDirection, maxDepth: number, maxNodes: number): DependencyGraph {
  const { summaries, edgeFrom, edgeTo, edgePosition, edgeSpec } = walk;
  const rootIndex = summaries.findIndex((summary) => summary.uuid === rootUuid);
  if (rootIndex < 0) throw new NotFoundError(`no component has uuid ${root}`);

  // Each component's declarations (towards dependents, those resolving to it), in compressed rows: the
  // declarations of component i are listed[start[i] .. start[i + 1]).
  const keys = direction === 'DEPENDENCIES' ? edgeFrom : edgeTo;
  const count = summaries.length;
  const start = new Int32Array(count + 1);
  for (let e = 0; e < keys.length; e += 1) if (keys[e]! >= 0) start[keys[e]! + 1]! += 1;
  for (let i = 0; i < count; i += 1) start[i + 1]! += start[i]!;
  const listed = new Int32Array(start[count]!);
  const fill = start.slice(0, count);
  for (let e = 0; e < keys.length; e += 1) if (keys[e]! >= 0) listed[fill[keys[e]!]!++] = e;
  const byPosition = (a: number, b: number) => edgePosition[a]! - edgePosition[b]!;
  const byDependent = (a: number, b: number) => {
    const from = summaries[edgeFrom[a]!]!.uuid;
    const other = summaries[edgeFrom[b]!]!.uuid;
    return from < other ? -1 : from > other ? 1 : edgePosition[a]! - edgePosition[b]!;
  };
  // The database lists each component's declarations in position order already; only lists that are not get sorted.
  const inOrder = direction === 'DEPENDENCIES' ? byPosition : byDependent;
  for (let i = 0; i < count; i += 1) {
    for (let at = start[i]! + 1; at < start[i + 1]!; at += 1) {
      if (inOrder(listed[at - 1]!, listed[at]!) > 0) {
        const sorted = Array.from(listed.subarray(start[i]!, start[i + 1]!)).sort(inOrder);
        listed.set(sorted, start[i]!);
        break;
      }
    }
  }

  // Breadth-first, one level at a time: the components of a level are order[begin .. end), those of the next are
  // appended behind them as they are reached.
  const depths = new Int32Array(count).fill(-1);
  const order = new Int32Array(Math.min(count, maxNodes));
  const kept = new Int32Array(keys.length);
  const unresolved: UnresolvedDependency[] = [];
  let placed = 1;
  let edges = 0;
  let truncated = walk.capped;
  depths[rootIndex] = 0;
  order[0] = rootIndex;
  // What a declaration reaches in the direction walked: -2 is beyond what a capped walk read.
  const reachedBy = direction === 'DEPENDENCIES' ? edgeTo : edgeFrom;
  for (let depth = 0, begin = 0, end = 1; begin < end; depth += 1, begin = end, end = placed) {
    // On the last level allowed, what lies beyond is only noted, as truncation; its edges between components
    // laid out are kept (the component walked from is one, so that is the one reached).
    const last = depth >= maxDepth;
    for (let n = begin; n < end; n += 1) {
      const node = order[n]!;
      for (let at = start[node]!; at < start[node + 1]!; at += 1) {
        const e = listed[at]!;
        if (edgeTo[e] === -1) {
          const missing = walk.unresolved.get(e);
          unresolved.push({ from: summaries[edgeFrom[e]!]!.uuid, name: missing?.name ?? null, versionSpec: edgeSpec[e] ?? null, uuid: missing?.uuid ?? null });
          continue;
        }
        const reached = reachedBy[e]!;
        if (reached < 0 || depths[reached]! < 0) {
          // Beyond the last level, beyond maxNodes, or beyond what a capped walk read.
          if (last || placed >= maxNodes || reached < 0) {
            truncated = true;
            continue;
          }
          depths[reached] = depth + 1;
          order[placed++] = reached;
        }
        kept[edges++] = e;
      }
    }
    if (last) break;
  }

  // The cycle search numbers components in the order laid out, as findCycles would.
  const place = new Int32Array(count);
  for (let index = 0; index < placed; index += 1) place[order[index]!] = index;
  const cycleFrom = new Int32Array(edges);
  const cycleTo = new Int32Array(edges);
  for (let k = 0; k < edges; k += 1) {
    cycleFrom[k] = place[edgeFrom[kept[k]!]!]!;
    cycleTo[k] = place[edgeTo[kept[k]!]!]!;
  }
  const cycles = findCyclesIndexed(placed, cycleFrom, cycleTo, GRAPH_LIMITS.maxCycles).map((cycle) => cycle.map((index) => summaries[order[index]!]!.uuid));
  return new LaidOutGraph(walk, order.subarray(0, placed), depths, kept.subarray(0, edges), unresolved, cycles, truncated);
}

/**
 * Every cycle a depth-first search meets, one per edge that closes back onto the search path, as closed
 * paths (first uuid repeated last). Iterative, so a deep graph cannot overflow the stack, and on integer
 * indices, since a whole graph can hold hundreds of thousands of edges.
 */
export function findCycles(nodes: readonly string[], edges: readonly GraphEdge[], limit: number): string[][] {
  const index = new Map<string, number>();
  for (const node of nodes) index.set(node, index.size);
  const from = Int32Array.from(edges, (edge) => index.get(edge.from)!);
  const to = Int32Array.from(edges, (edge) => index.get(edge.to)!);
  return findCyclesIndexed(nodes.length, from, to, limit).map((cycle) => cycle.map((i) => nodes[i]!));
}

/** findCycles on numbered nodes 0 .. count - 1, each edge from[e] → to[e]; cycles as lists of numbers. */
function findCyclesIndexed(count: number, from: Int32Array, to: Int32Array, limit: number): number[][] {
  // Adjacency in compressed rows: the targets of node i are targets[start[i] .. start[i + 1]).
  const start = new Int32Array(count + 1);
  for (let e = 0; e < from.length; e += 1) start[from[e]! + 1]! += 1;
  for (let i = 0; i < count; i += 1) start[i + 1]! += start[i]!;
  const targets = new Int32Array(from.length);
  const fill = start.slice(0, count);
  for (let e = 0; e < from.length; e += 1) targets[fill[from[e]!]!++] = to[e]!;

  const cycles: number[][] = [];
  const state = new Uint8Array(count); // 0 unvisited, 1 on the search path, 2 done
  const pathPosition = new Int32Array(count);
  const path: number[] = [];
  const cursor: number[] = [];
  for (let root = 0; root < count; root += 1) {
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
          if (cycles.length < limit) cycles.push([...path.slice(pathPosition[target]!), target]);
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
