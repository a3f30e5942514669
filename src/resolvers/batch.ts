import { COMPONENT_COLUMNS, type Component } from './component-row.js';
import type { RegistryContext } from './context.js';
import { NotFoundError } from './errors.js';
import type { Declaration } from './resolution.js';
import { declarationsNaming, resolvedUuid, UNCOMPILED } from './resolve-sql.js';

// Batch loaders: the GraphQL layer collects the keys of one level of a query and asks once.

/** The components with these uuids, in the order asked; null where none exists. */
export async function componentsByUuid(ctx: RegistryContext, uuids: readonly string[]): Promise<Array<Component | null>> {
  // One array parameter: Prisma's `in` sends one parameter per uuid, which costs twice as much for large batches.
  const rows = await ctx.db.prisma.$queryRaw<Component[]>`
    SELECT ${COMPONENT_COLUMNS} FROM components WHERE uuid = ANY(${[...new Set(uuids)]}::uuid[])`;
  const byUuid = new Map(rows.map((row) => [row.uuid, row]));
  return uuids.map((uuid) => byUuid.get(uuid) ?? null);
}

/** The components with these uuids, in the order asked, for references that must hold: NOT_FOUND where one is missing. */
export async function referencedComponents(ctx: RegistryContext, uuids: readonly string[]): Promise<Array<Component | Error>> {
  return (await componentsByUuid(ctx, uuids)).map((row, index) => row ?? new NotFoundError(`no component has uuid ${uuids[index]}`));
}

export type DeclaredDependency = Pick<Declaration, 'name' | 'versionSpec' | 'uuid'>;

// Whole component rows under the generated client's names, for raw statements.
const ROW_COLUMNS = `c.uuid::text AS uuid, c.name, c.version, c.version_key AS "versionKey", c.type::text AS type,
  c.lifecycle::text AS lifecycle, c.description, c.owner, c.tags, c.document, c.revision, c.created_at AS "createdAt",
  c.updated_at AS "updatedAt"`;

/**
 * What each declared dependency resolves to now, in the order asked: one statement for the whole batch, resolved
 * in the database by the registry's one rule (resolve-sql.ts).
 */
export async function resolveDependencies(ctx: RegistryContext, declared: readonly DeclaredDependency[]): Promise<Array<Component | null>> {
  const rows = await ctx.db.query<Component & { ordinal: number }>(
    `SELECT k.ordinal::int AS ordinal, ${ROW_COLUMNS}
       FROM (SELECT *, ${UNCOMPILED}
               FROM unnest($1::text[], $2::text[], $3::uuid[]) WITH ORDINALITY AS k(dependency_name, version_spec, dependency_uuid, ordinal)) k
       JOIN components c ON c.uuid = ${resolvedUuid('k')}`,
    [declared.map((d) => d.name), declared.map((d) => d.versionSpec), declared.map((d) => d.uuid)],
  );
  const resolved: Array<Component | null> = declared.map(() => null);
  for (const { ordinal, ...row } of rows) resolved[ordinal - 1] = row;
  return resolved;
}

/**
 * For each component, the entries whose dependencies resolve to it now, in the order asked, each list by name
 * and newest version first: one statement for the whole batch.
 */
export async function dependentsOf(
  ctx: RegistryContext,
  targets: ReadonlyArray<{ uuid: string; name: string }>,
): Promise<Component[][]> {
  const rows = await ctx.db.query<Component & { ordinal: number }>(
    `SELECT DISTINCT ON (t.ordinal, c.name, c.version_key, c.uuid) t.ordinal::int AS ordinal, ${ROW_COLUMNS}
       FROM unnest($1::uuid[], $2::text[]) WITH ORDINALITY AS t(uuid, name, ordinal)
       ${declarationsNaming('t.uuid', 't.name', 'd')}
       JOIN components c ON c.uuid = d.component_uuid
      WHERE ${resolvedUuid('d')} = t.uuid
      ORDER BY t.ordinal, c.name, c.version_key DESC, c.uuid`,
    [targets.map((t) => t.uuid), targets.map((t) => t.name)],
  );
  const dependents: Component[][] = targets.map(() => []);
  for (const { ordinal, ...row } of rows) dependents[ordinal - 1]!.push(row);
  return dependents;
}
