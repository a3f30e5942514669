import type { ComponentRevision } from '../generated/prisma/client.js';
import { COMPONENT_COLUMNS, type Component } from './component-row.js';
import type { RegistryContext } from './context.js';
import { declarationsTowards, DependencyResolver, type Declaration } from './resolution.js';

export type { ComponentRevision };

// Batch loaders: the GraphQL layer collects the keys of one level of a query and asks once.

/** The components with these uuids, in the order asked; null where none exists. */
export async function componentsByUuid(ctx: RegistryContext, uuids: readonly string[]): Promise<Array<Component | null>> {
  // One array parameter: Prisma's `in` sends one parameter per uuid, which costs twice as much for large batches.
  const rows = await ctx.db.prisma.$queryRaw<Component[]>`
    SELECT ${COMPONENT_COLUMNS} FROM components WHERE uuid = ANY(${[...new Set(uuids)]}::uuid[])`;
  const byUuid = new Map(rows.map((row) => [row.uuid, row]));
  return uuids.map((uuid) => byUuid.get(uuid) ?? null);
}

/** Every revision of each component, oldest first, in the order asked. */
export async function historiesOf(ctx: RegistryContext, uuids: readonly string[]): Promise<ComponentRevision[][]> {
  const rows = await ctx.db.prisma.componentRevision.findMany({
    where: { componentUuid: { in: [...new Set(uuids)] } },
    orderBy: [{ componentUuid: 'asc' }, { revision: 'asc' }],
  });
  const byUuid = new Map<string, ComponentRevision[]>(uuids.map((uuid) => [uuid, []]));
  for (const row of rows) byUuid.get(row.componentUuid)?.push(row);
  return uuids.map((uuid) => byUuid.get(uuid)!);
}

export type DeclaredDependency = Pick<Declaration, 'name' | 'versionSpec' | 'uuid'>;

/**
 * What each declared dependency resolves to now, in the order asked: one query for every candidate row the
 * whole batch needs, resolved with the registry's one rule (DependencyResolver).
 */
export async function resolveDependencies(ctx: RegistryContext, declared: readonly DeclaredDependency[]): Promise<Array<Component | null>> {
  const names = [...new Set(declared.flatMap((dependency) => (dependency.uuid === null && dependency.name !== null ? [dependency.name] : [])))];
  const uuids = [...new Set(declared.flatMap((dependency) => (dependency.uuid !== null ? [dependency.uuid] : [])))];
  const rows = await ctx.db.prisma.component.findMany({
    where: { OR: [{ name: { in: names }, lifecycle: { not: 'RETIRED' } }, { uuid: { in: uuids } }] },
  });
  const resolver = new DependencyResolver(ctx.db);
  resolver.remember(rows, names);
  const byUuid = new Map(rows.map((row) => [row.uuid, row]));
  return declared.map((dependency) => {
    const uuid = resolver.resolve(dependency);
    return uuid === null ? null : (byUuid.get(uuid) ?? null);
  });
}

/** For each component, the entries whose dependencies resolve to it now, in the order asked. */
export async function dependentsOf(
  ctx: RegistryContext,
  targets: ReadonlyArray<{ uuid: string; name: string }>,
): Promise<Component[][]> {
  const declarations = await declarationsTowards(ctx.db, targets.map((target) => target.uuid), targets.map((target) => target.name));
  const resolver = new DependencyResolver(ctx.db);
  await resolver.prepare(declarations);
  const dependents = new Map<string, Set<string>>(targets.map((target) => [target.uuid, new Set()]));
  for (const declaration of declarations) {
    const to = resolver.resolve(declaration);
    if (to !== null) dependents.get(to)?.add(declaration.from);
  }
  const wanted = [...new Set([...dependents.values()].flatMap((set) => [...set]))];
  const rows = wanted.length ? await ctx.db.prisma.component.findMany({ where: { uuid: { in: wanted } }, orderBy: [{ name: 'asc' }, { versionKey: 'desc' }] }) : [];
  // Each target's dependents in the rows' order (name, newest version first), without scanning all rows per target.
  const position = new Map(rows.map((row, index) => [row.uuid, index]));
  return targets.map((target) =>
    [...dependents.get(target.uuid)!]
      .flatMap((uuid) => (position.has(uuid) ? [position.get(uuid)!] : []))
      .sort((a, b) => a - b)
      .map((index) => rows[index]!),
  );
}
