import type { Prisma } from '../generated/prisma/client.js';
import { takeWriteOrderLock } from './changes.js';
import { DependencyCycleError } from './errors.js';
import { expandLevel } from './graph.js';
import { DependencyResolver, transactionReader, type SqlReader } from './resolution.js';

/**
 * Refuses the write in progress when one of `sources` now reaches itself. Every cycle a write can create
 * runs through an entry whose edges it changed: the written entry (its own dependencies, or a range that
 * now chooses it) or, when it is retired, the other versions of its name that ranges fall back to.
 */
export async function assertNoCycleThrough(tx: Prisma.TransactionClient, sources: readonly string[]): Promise<void> {
  await takeWriteOrderLock(tx);
  const reader = transactionReader(tx);
  const resolver = new DependencyResolver(reader);
  for (const source of sources) {
    const cycle = await pathBackTo(reader, resolver, source);
    if (cycle) {
      const rows = await tx.component.findMany({ where: { uuid: { in: cycle } }, select: { uuid: true, name: true, version: true } });
      throw new DependencyCycleError(cycle, new Map(rows.map((row) => [row.uuid, `${row.name}@${row.version}`])));
    }
  }
}

/** The shortest path of dependencies from `source` back to itself, closed (first = last), or null. */
async function pathBackTo(db: SqlReader, resolver: DependencyResolver, source: string): Promise<string[] | null> {
  const parent = new Map<string, string>();
  const seen = new Set([source]);
  let frontier = [{ uuid: source, name: '' }];
  while (frontier.length > 0) {
    const { edges } = await expandLevel(db, resolver, 'DEPENDENCIES', frontier, false);
    const next: Array<{ uuid: string; name: string }> = [];
    for (const edge of edges) {
      if (edge.to === source) {
        const path = [source];
        for (let at: string | undefined = edge.from; at !== undefined && at !== source; at = parent.get(at)) path.push(at);
        return [source, ...path.slice(1).reverse(), source];
      }
      if (!seen.has(edge.to)) {
        seen.add(edge.to);
        parent.set(edge.to, edge.from);
        next.push({ uuid: edge.to, name: '' });
      }
    }
    frontier = next;
  }
  return null;
}
