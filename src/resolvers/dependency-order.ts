import type { ComponentDependency } from '../metadata/validate.js';

/** What ordering needs of a document: who it is and what it declares. */
export interface Orderable {
  readonly uuid: string;
  readonly name: string;
  readonly dependencies?: readonly ComponentDependency[];
}

/**
 * The positions of `documents` in dependency order: each after every document of the list it declares a
 * dependency on (any version of a named one, or a pinned uuid), otherwise in the order given. Documents on a
 * cycle keep their order among themselves, after everything else they can follow; registering them is
 * refused anyway. Linear in the documents and their declarations.
 */
export function dependencyOrder(documents: readonly Orderable[]): number[] {
  const byName = new Map<string, number[]>();
  const byUuid = new Map<string, number>();
  documents.forEach((document, index) => {
    const list = byName.get(document.name);
    if (list) list.push(index);
    else byName.set(document.name, [index]);
    byUuid.set(document.uuid.toLowerCase(), index);
  });
  // Edges from each document to those that must come after it.
  const after = documents.map(() => [] as number[]);
  const waiting = new Int32Array(documents.length);
  documents.forEach((document, index) => {
    const before = new Set<number>();
    for (const dependency of document.dependencies ?? []) {
      const targets = 'uuid' in dependency ? [byUuid.get(dependency.uuid.toLowerCase())] : (byName.get(dependency.name) ?? []);
      for (const target of targets) if (target !== undefined && target !== index) before.add(target);
    }
    for (const target of before) after[target]!.push(index);
    waiting[index] = before.size;
  });
  // Kahn's algorithm in waves: each wave is what the ones before it released, in input order.
  const order: number[] = [];
  const placed = new Uint8Array(documents.length);
  let ready = documents.map((_, index) => index).filter((index) => waiting[index] === 0);
  while (order.length < documents.length) {
    if (ready.length === 0) {
      // Only cycles remain: take the first unplaced document as if it were free.
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
  return order;
}
