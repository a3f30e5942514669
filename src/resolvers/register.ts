import { validateMetadata } from '../metadata/validate.js';
import type { Component } from './component-row.js';
import type { RegistryContext } from './context.js';
import { dependencyOrder } from './dependency-order.js';
import { BadUserInputError, DependencyCycleError } from './errors.js';
import { impactOn, NO_IMPACT, type Impact } from './impact.js';
import { atIndex, commitWrites, refusedIndex, type WriteOptions } from './write.js';

export interface RegisterResult {
  /** False when this exact document was already registered under its uuid: registering is idempotent. */
  readonly registered: boolean;
  readonly component: Component;
  /** True when nothing was written: the answer is what the write would have done. */
  readonly dryRun: boolean;
  /** What the write changed in resolutions; null when the caller did not ask. */
  readonly impact: Impact | null;
}

/**
 * Validates a metadata document and stores it as a new component version at revision 1, refusing it
 * when its uuid or name and version hold another document, or when its dependencies would put it on a cycle.
 */
export async function registerComponent(ctx: RegistryContext, metadata: unknown, options: WriteOptions = {}): Promise<RegisterResult> {
  const { writes, impact } = await commitWrites(ctx, [{ kind: 'REGISTERED', document: validateMetadata(metadata) }], options);
  const [committed] = writes;
  return { registered: committed!.status === 'registered', component: committed!.component, dryRun: options.dryRun ?? false, impact };
}

/** The most documents one registerMany takes; a larger import is sent in several. */
export const MAX_BATCH = 1_000;

export interface RegisterManyResult {
  /** One per document, in the order given. */
  readonly results: RegisterResult[];
  readonly registered: number;
  readonly unchanged: number;
  readonly dryRun: boolean;
  /** What the whole batch changed in resolutions; null when the caller did not ask. */
  readonly impact: Impact | null;
}

/**
 * Registers a batch of documents in one transaction, all or nothing, in dependency order within the batch
 * (what a document depends on is registered, and appears in the change feed, before it). A refusal names
 * the document by its position in `metadata`.
 */
export async function registerComponents(ctx: RegistryContext, metadata: readonly unknown[], options: WriteOptions = {}): Promise<RegisterManyResult> {
  if (metadata.length === 0) throw new BadUserInputError('metadata must hold at least one document', 'metadata');
  if (metadata.length > MAX_BATCH) {
    throw new BadUserInputError(`metadata holds ${metadata.length} documents; at most ${MAX_BATCH} go in one registerMany`, 'metadata');
  }
  const documents = metadata.map((document, index) => {
    try {
      return validateMetadata(document);
    } catch (error) {
      throw atIndex(error as Error, index);
    }
  });
  const order = dependencyOrder(documents);
  let committed;
  try {
    committed = await commitWrites(ctx, order.map((index) => ({ kind: 'REGISTERED', document: documents[index]! })), options);
  } catch (error) {
    const position = refusedIndex(error);
    if (position !== undefined) throw atIndex(error as Error, order[position]!);
    if (error instanceof DependencyCycleError) {
      throw atIndex(error, documents.findIndex((document) => error.cycle.includes(document.uuid)));
    }
    throw error;
  }
  const { impact } = committed;
  const dryRun = options.dryRun ?? false;
  const results: RegisterResult[] = new Array(documents.length);
  committed.writes.forEach((write, position) => {
    results[order[position]!] = {
      registered: write.status === 'registered',
      component: write.component,
      dryRun,
      impact: impact && (write.status === 'registered' ? impactOn(impact, write.component.uuid) : NO_IMPACT),
    };
  });
  const registered = results.filter((result) => result.registered).length;
  return { results, registered, unchanged: results.length - registered, dryRun, impact };
}
