import { DependencyCycleError, BadUserInputError } from './errors.js';
import { expandLevel, GRAPH_LIMITS, type GraphDirection } from './graph.js';
import { DependencyResolver, summariesOf, type SqlReader } from './resolution.js';

interface Node {
  readonly uuid: string;
  readonly name: string;
}

/** One side of the search: everything reached from the sources in one direction, and the edges read. */
interface Side {
  readonly direction: GraphDirection;
  readonly seen: Set<string>;
  frontier: Node[];
  /** Edges read so far, dependent to dependency, whichever way they were found. */
  readonly targets: Map<string, string[]>;
}

const sideOf = (direction: GraphDirection, sources: readonly Node[]): Side => ({
  direction,
  seen: new Set(sources.map((source) => source.uuid)),
  frontier: [...sources],
  targets: new Map(),
});

/** The shortest closed path from `source` back to itself over `targets`, or null. */
function shortestCycle(targets: ReadonlyMap<string, string[]>, source: string): string[] | null {
  const parent = new Map<string, string>();
  let frontier = [source];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const from of frontier) {
      for (const to of targets.get(from) ?? []) {
        if (to === source) {
          const path = [from];
          for (let at = from; at !== source; at = parent.get(at)!) path.push(parent.get(at)!);
          return [...path.reverse(), source];
        }
        if (!parent.has(to)) {
          parent.set(to, from);
          next.push(to);
        }
      }
    }
    frontier = next;
  }
  return null;
}

/**
 * A dependency cycle through one of `sources`, as a closed path of uuids, or null. Every node of such a cycle
 * is both reachable from a source and reaches one, so it lies within either closure: the search grows both
 * level by level, always the smaller frontier, and decides on the first closure it exhausts. A new entry
 * that nothing resolves to has an empty closure of dependents and costs one statement, however deep the
 * graph below it.
 */
export async function findCycleThrough(db: SqlReader, sources: readonly Node[]): Promise<string[] | null> {
  if (sources.length === 0) return null;
  const resolver = new DependencyResolver(db);
  const dependencies = sideOf('DEPENDENCIES', sources);
  const dependents = sideOf('DEPENDENTS', sources);
  while (dependencies.frontier.length > 0 && dependents.frontier.length > 0) {
    const side = dependents.frontier.length <= dependencies.frontier.length ? dependents : dependencies;
    const { edges } = await expandLevel(db, resolver, side.direction, side.frontier, false);
    const reached: string[] = [];
    for (const edge of edges) {
      const list = side.targets.get(edge.from);
      if (list) list.push(edge.to);
      else side.targets.set(edge.from, [edge.to]);
      const node = side.direction === 'DEPENDENCIES' ? edge.to : edge.from;
      if (!side.seen.has(node)) {
        side.seen.add(node);
        reached.push(node);
      }
    }
    if (dependencies.seen.size + dependents.seen.size > GRAPH_LIMITS.maxNodes) {
      throw new BadUserInputError(
        `cannot check this change for dependency cycles: what it depends on and what depends on it both exceed ` +
          `${GRAPH_LIMITS.maxNodes.toLocaleString('en')} components`,
      );
    }
    // Towards dependents, a level is found by the names it resolves from: read the names of those reached.
    side.frontier =
      side.direction === 'DEPENDENCIES'
        ? reached.map((uuid) => ({ uuid, name: '' }))
        : (await summariesOf(db, reached)).map(({ uuid, name }) => ({ uuid, name }));
  }
  const closed = dependencies.frontier.length === 0 ? dependencies : dependents;
  for (const source of sources) {
    const cycle = shortestCycle(closed.targets, source.uuid);
    if (cycle) return cycle;
  }
  return null;
}

/** Refuses the write in progress (its rows already in `db`'s transaction) when it closed a cycle through `sources`. */
export async function assertNoCycleThrough(db: SqlReader, sources: readonly Node[]): Promise<void> {
  const cycle = await findCycleThrough(db, sources);
  if (!cycle) return;
  const rows = await db.query<{ uuid: string; label: string }>(
    `SELECT uuid::text AS uuid, name || '@' || version AS label FROM components WHERE uuid = ANY($1::uuid[])`,
    [cycle],
  );
  throw new DependencyCycleError(cycle, new Map(rows.map((row) => [row.uuid, row.label])));
}
