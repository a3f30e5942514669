import type { ComponentRevision } from '../generated/prisma/client.js';
import type { Component } from './component-row.js';
import type { RegistryContext } from './context.js';

export type { ComponentRevision };

// Batch loaders: the GraphQL layer collects the keys of one level of a query and asks once.

/** The components with these uuids, in the order asked; null where none exists. */
export async function componentsByUuid(ctx: RegistryContext, uuids: readonly string[]): Promise<Array<Component | null>> {
  const rows = await ctx.db.prisma.component.findMany({ where: { uuid: { in: [...new Set(uuids)] } } });
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
