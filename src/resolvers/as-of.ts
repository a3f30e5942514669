import type { ComponentMetadata } from '../metadata/validate.js';
import { columnsOf, isUuid, type Component } from './component-row.js';
import type { RegistryContext } from './context.js';
import { BadUserInputError, NotFoundError } from './errors.js';
import type { WalkEdge, WalkOptions, WalkResult } from './graph-walk.js';
import { assertVersionSpec, resolveRange } from './ranges.js';
import type { SqlReader } from './resolution.js';
import { asOfSql } from './as-of-sql.js';
import type { DeclaredDependency } from './batch.js';

// The registry as it stood at an instant t: the components registered at or before t, each with its latest
// revision at or before t (`at` is inclusive), and ranges resolved over that snapshot by the registry's one rule
// (highest admitted version that was not retired then). The SQL lives in as-of-sql.ts.

/** A component as it stood at `asOf`: its fields, document and revision then. Nested fields answer as of then too. */
export type ComponentAsOf = Component & { readonly asOf: Date };

/** The instant a component object stands at, when it was read as of one. */
export function asOfOf(component: object): Date | null {
  const asOf = (component as { asOf?: unknown }).asOf;
  return asOf instanceof Date ? asOf : null;
}

/** The SQL parameter for an instant: ISO text, millisecond precision as `at` has. */
const instant = (asOf: Date) => asOf.toISOString();

function assertInstant(asOf: Date): void {
  if (Number.isNaN(asOf.getTime())) throw new BadUserInputError('asOf is not a valid date and time', 'asOf');
}

/** A component's columns at an instant: current ones when it is unchanged since, else only those its document does not imply. */
interface StateRow extends Omit<Component, 'document'> {
  readonly unchanged: boolean;
  readonly document: ComponentMetadata;
}

/** The row a component had at `asOf`: unchanged since, the current row; otherwise built from that revision's document. */
function rowAt({ unchanged, ...row }: StateRow, asOf: Date): ComponentAsOf {
  const document = row.document as unknown as Component['document'];
  // name, version and version key never change, so the document's agree with the row's.
  return unchanged ? { ...row, document, asOf } : { ...row, ...columnsOf(row.document), document, asOf };
}

/** The components with these uuids as they stood at `asOf`, in the order asked; null where none existed then. */
export async function componentsAsOf(db: SqlReader, uuids: readonly string[], asOf: Date): Promise<Array<ComponentAsOf | null>> {
  assertInstant(asOf);
  if (uuids.length === 0) return [];
  const rows = await db.query<StateRow>(asOfSql.componentStates, [[...new Set(uuids)], instant(asOf)]);
  const byUuid = new Map(rows.map((row) => [row.uuid, rowAt(row, asOf)]));
  return uuids.map((uuid) => byUuid.get(uuid) ?? null);
}

/** `component(uuid, asOf)`: the component as it stood then, or null when it was not registered yet. */
export async function lookupByUuidAsOf(ctx: RegistryContext, uuid: string, asOf: Date): Promise<ComponentAsOf | null> {
  if (!isUuid(uuid)) throw new BadUserInputError(`"${uuid}" is not a UUID`, 'uuid');
  const [row] = await componentsAsOf(ctx.db, [uuid.toLowerCase()], asOf);
  return row ?? null;
}

/** `component(name, versionSpec, asOf)`: the version the range chose then, among the versions registered then. */
export async function lookupByNameAsOf(ctx: RegistryContext, name: string, versionSpec: string, asOf: Date): Promise<ComponentAsOf | null> {
  assertVersionSpec(versionSpec);
  assertInstant(asOf);
  const candidates = await ctx.db.query<{ uuid: string; version: string; lifecycle: string }>(asOfSql.versionsOfName, [name, instant(asOf)]);
  const chosen = resolveRange(candidates, versionSpec);
  if (!chosen) return null;
  const [row] = await componentsAsOf(ctx.db, [chosen.uuid], asOf);
  return row ?? null;
}

/** What each declared dependency resolved to at `asOf`, in the order asked: one statement for the batch, then the rows. */
export async function resolveDependenciesAsOf(
  ctx: RegistryContext,
  declared: readonly DeclaredDependency[],
  asOf: Date,
): Promise<Array<ComponentAsOf | null>> {
  assertInstant(asOf);
  const rows = await ctx.db.query<{ ordinal: number; uuid: string }>(asOfSql.resolveDeclarations, [
    declared.map((d) => d.name),
    declared.map((d) => d.versionSpec),
    declared.map((d) => d.uuid),
    instant(asOf),
  ]);
  const components = await componentsAsOf(ctx.db, rows.map((row) => row.uuid), asOf);
  const resolved: Array<ComponentAsOf | null> = declared.map(() => null);
  rows.forEach((row, index) => (resolved[row.ordinal - 1] = components[index] ?? null));
  return resolved;
}

/**
 * For each component, the entries whose dependencies resolved to it at `asOf`, as they stood then, each list by
 * name and newest version first.
 */
export async function dependentsAsOf(
  ctx: RegistryContext,
  targets: ReadonlyArray<{ uuid: string; name: string }>,
  asOf: Date,
): Promise<ComponentAsOf[][]> {
  assertInstant(asOf);
  const rows = await ctx.db.query<{ ordinal: number; uuid: string }>(asOfSql.dependents, [
    targets.map((t) => t.uuid),
    targets.map((t) => t.name),
    instant(asOf),
  ]);
  const components = await componentsAsOf(ctx.db, rows.map((row) => row.uuid), asOf);
  const dependents: ComponentAsOf[][] = targets.map(() => []);
  rows.forEach((row, index) => {
    const component = components[index];
    if (component) dependents[row.ordinal - 1]!.push(component);
  });
  return dependents;
}

type EdgeTuple = [from: string, position: number, to: string | null, versionSpec: string | null, unresolved: [name: string | null, pinned: string | null] | null];
type NodeTuple = [uuid: string, name: string, version: string, lifecycle: Component['lifecycle'], versionKey: string, type: Component['type'],
  description: string | null, owner: string | null, tags: string[], revision: number, createdAt: string, updatedAt: string];

/**
 * walkGraph (graph-walk.ts) over the registry as it stood at `asOf`, in one statement, returning the same shape, so
 * the layout, cycles and truncation of src/resolvers/graph.ts apply unchanged. Refuses a root not registered then.
 */
export async function walkGraphAsOf(db: SqlReader, root: string, options: WalkOptions & { asOf: Date }): Promise<WalkResult> {
  assertInstant(options.asOf);
  const sql = options.direction === 'DEPENDENCIES' ? asOfSql.walkDependencies : asOfSql.walkDependents;
  const [row] = await db.query<{ edges: EdgeTuple[]; nodes: NodeTuple[]; capped: boolean }>(sql, [
    root,
    options.maxDepth,
    options.rowCap,
    instant(options.asOf),
  ]);
  if (!row!.nodes.some(([uuid]) => uuid === root)) {
    throw new NotFoundError(`no component had uuid ${root} at ${options.asOf.toISOString()}`);
  }
  const edges = row!.edges.map(([from, position, to, versionSpec, unresolved]): WalkEdge => ({
    from, position, to, versionSpec, name: unresolved?.[0] ?? null, uuid: unresolved?.[1] ?? null,
  }));
  // Every summary is whole: the fields of a past revision come from its document, read anyway.
  const summaries = row!.nodes.map(([uuid, name, version, lifecycle, versionKey, type, description, owner, tags, revision, createdAt, updatedAt]) => ({
    uuid, name, version, lifecycle, versionKey, type, description, owner, tags, revision,
    createdAt: new Date(createdAt),
    updatedAt: new Date(updatedAt),
  }));
  return { edges, summaries, capped: row!.capped };
}

