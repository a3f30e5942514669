import { lookupByNameAsOf, lookupByUuidAsOf } from './as-of.js';
import { COMPONENT_BY_UUID_SQL, isUuid, type Component } from './component-row.js';
import type { RegistryContext } from './context.js';
import { BadUserInputError } from './errors.js';
import { assertVersionSpec, resolveRange } from './ranges.js';

// Lookups are the registry's hottest reads: straight through the driver, which costs a fraction of the
// generated client's work per query (measured in docs/benchmarks.md, lookup profile).
export async function lookupByUuid(ctx: RegistryContext, uuid: string): Promise<Component | null> {
  if (!isUuid(uuid)) throw new BadUserInputError(`"${uuid}" is not a UUID`, 'uuid');
  const [row] = await ctx.db.query<Component>(COMPONENT_BY_UUID_SQL, [uuid.toLowerCase()]);
  return row ?? null;
}

/** The version of `name` that `versionSpec` chooses (see resolveRange), or null when none does. */
export async function lookupByName(ctx: RegistryContext, name: string, versionSpec = '*'): Promise<Component | null> {
  assertVersionSpec(versionSpec);
  const candidates = await ctx.db.query<Pick<Component, 'uuid' | 'version' | 'lifecycle'>>(
    `SELECT uuid::text AS uuid, version, lifecycle::text AS lifecycle FROM components WHERE name = $1 AND lifecycle <> 'RETIRED'`,
    [name],
  );
  const chosen = resolveRange(candidates, versionSpec);
  if (!chosen) return null;
  const [row] = await ctx.db.query<Component>(COMPONENT_BY_UUID_SQL, [chosen.uuid]);
  return row ?? null;
}

export interface ComponentSelector {
  readonly uuid?: string | null;
  readonly name?: string | null;
  readonly versionSpec?: string | null;
  /** As the registry stood at this instant (src/resolvers/as-of.ts); now when absent. */
  readonly asOf?: Date | null;
}

/** `component(uuid)` or `component(name, versionSpec)`, now or `asOf` an instant: exactly one way of naming it. */
export async function lookupComponent(ctx: RegistryContext, selector: ComponentSelector): Promise<Component | null> {
  const { uuid, name, versionSpec, asOf } = selector;
  if (uuid != null && name != null) throw new BadUserInputError('give either uuid or name, not both');
  if (uuid != null) {
    if (versionSpec != null) throw new BadUserInputError('versionSpec goes with name, not uuid', 'versionSpec');
    return asOf ? lookupByUuidAsOf(ctx, uuid, asOf) : lookupByUuid(ctx, uuid);
  }
  if (name != null) return asOf ? lookupByNameAsOf(ctx, name, versionSpec ?? '*', asOf) : lookupByName(ctx, name, versionSpec ?? '*');
  throw new BadUserInputError('give a uuid, or a name with an optional versionSpec');
}
