import { validateMetadata } from '../metadata/validate.js';
import type { Component } from './component-row.js';
import type { RegistryContext } from './context.js';
import { commitWrites } from './write.js';

export interface RegisterResult {
  /** False when this exact document was already registered under its uuid: registering is idempotent. */
  readonly registered: boolean;
  readonly component: Component;
}

/**
 * Validates a metadata document and stores it as a new component version at revision 1, refusing it
 * when its uuid or name and version hold another document, or when its dependencies would put it on a cycle.
 */
export async function registerComponent(ctx: RegistryContext, metadata: unknown): Promise<RegisterResult> {
  const [committed] = await commitWrites(ctx, [{ kind: 'REGISTERED', document: validateMetadata(metadata) }]);
  return { registered: committed!.status === 'registered', component: committed!.component };
}
