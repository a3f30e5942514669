import type { ComponentDependency } from '../metadata/validate.js';

/** What ordering needs of a document: who it is and what it declares. */
export interface Orderable {
  readonly uuid: string;
  readonly name: string;
  readonly dependencies?: readonly ComponentDependency[];
}

interface BatchGraph {
  /** For each document, those of the list that must come after it (its dependents within the list). */
  readonly after: number[][];
  /** For each document, how many of the list it declares a dependency on. */
  readonly waiting: Int32Array;
  /** Whether some document declares a dependency that could resolve to itself (its own name or uuid). */
  readonly selfDeclared: boolean;
}

/** Which documents of the list may depend on which: by any version of a name, or a pinned uuid. */
function batchGraph(documents: readonly Orderable[]): BatchGraph {
  const byName = new Map<string, number[]>();
  const byUuid = new Map<string, number>();
  documents.forEach((document, index) => {
    const list = byName.get(document.name);
    if (list) list.push(index);
    else byName.set(document.name, [index]);
    byUuid.set(document.uuid.toLowerCase(), index);
  });
  const after = documents.map(() => [] as number[]);
  const waiting = new Int32Array(documents.length);
  let selfDeclared = false;
  documents.forEach((document, index) => {
    const before = new Set<number>();
    for (const dependency of document.dependencies ?? []) {
      const targets = 'uuid' in dependency ? [byUuid.get(dependency.uuid.toLowerCase())] : (byName.get(dependency.name) ?? []);
      for (const target of targets) {
        if (target === index) selfDeclared = true;
        else if (target !== undefined) before.add(target);
      }
    }
    for (const target of before) after[target]!.push(index);
    waiting[index] = before.size;
  });
  return { after, waiting, selfDeclared };
}

/** Kahn's algorithm in waves, each wave what the ones before it released, in input order; loops last. */
function ordered(documents: readonly Orderable[], { after, waiting: declared }: BatchGraph): { order: number[]; acyclic: boolean } {
  const waiting = declared.slice();
  const order: number[] = [];
  const placed = new Uint8Array(documents.length);
  let acyclic = true;
  let ready = documents.map((_, index) => index).filter((index) => waiting[index] === 0);
  while (order.length < documents.length) {
    if (ready.length === 0) {
      // Only cycles remain: take the first unplaced document as if it were free.
      acyclic = false;
      ready = [placed.indexOf(0)];
    }
    const released: number[] = [];
    for (const index of ready) {
      if (placed[index]) continue;
      placed[index] = 1;
      order.push(index);
      for (const next of after[index]!) {
        waiting[next]! -= 1;
        if (waiting[next] === 0 && !placed[next]) released.push(next);
      }
    }
    ready = released.sort((a, b) => a - b);
  }
  return { order, acyclic };
}

/**
 * The positions of `documents` in dependency order: each after every document of the list it declares a
 * dependency on (any version of a named one, or a pinned uuid), otherwise in the order given. Documents on a
 * loop come after everything else they can follow, the loop broken at the first of them given; registering
 * them is refused anyway if their versions really resolve to each other. Linear in the documents and their
 * declarations.
 */
export function dependencyOrder(documents: readonly Orderable[]): number[] {
  return ordered(documents, batchGraph(documents)).order;
}

/**
 * Whether the documents' declarations among themselves could form a cycle: one declaring itself, or a loop
 * of documents each declaring the next. When they cannot, and nothing outside the list declares a
 * dependency on any of them, no cycle can pass through them (every edge into one of them would come from
 * another of them).
 */
export function mayCycleAmong(documents: readonly Orderable[]): boolean {
  const graph = batchGraph(documents);
  return graph.selfDeclared || !ordered(documents, graph).acyclic;
}
