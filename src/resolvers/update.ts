import { isDeepStrictEqual } from 'node:util';
import { applyMergePatch } from '../metadata/merge-patch.js';
import { validateMetadata } from '../metadata/validate.js';
import type { Prisma } from '../generated/prisma/client.js';
import { recordChange } from './changes.js';
import { assertNoCycleThrough } from './cycles.js';
import { COMPONENT_COLUMNS, columnsOf, declarationRowsOf, isUuid, type Component } from './component-row.js';
import type { RegistryContext } from './context.js';
import { BadUserInputError, ImmutableFieldError, NotFoundError, RevisionConflictError } from './errors.js';

const IMMUTABLE_FIELDS = ['schema_version', 'uuid', 'name', 'version'] as const;

export interface UpdateResult {
  /** False when the patch left the document as it was: no revision is added for a no-op. */
  readonly changed: boolean;
  readonly component: Component;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function assertImmutableFieldsKept(current: Record<string, unknown>, next: unknown): void {
  if (!isPlainObject(next)) return; // validation names what is wrong with a non-object
  for (const field of IMMUTABLE_FIELDS) {
    const before = current[field];
    const after = next[field];
    const same = field === 'uuid' && typeof after === 'string' ? after.toLowerCase() === before : isDeepStrictEqual(before, after);
    if (!same) throw new ImmutableFieldError(field);
  }
}

/**
 * The entries whose edges an update of `component` changed: itself, and once it is retired, the other
 * versions of its name, which ranges that chose it now fall back to.
 */
async function cycleSources(tx: Prisma.TransactionClient, component: Component): Promise<string[]> {
  if (component.lifecycle !== 'RETIRED') return [component.uuid];
  const others = await tx.component.findMany({
    where: { name: component.name, lifecycle: { not: 'RETIRED' } },
    select: { uuid: true },
  });
  return [component.uuid, ...others.map((other) => other.uuid)];
}

/**
 * Applies an RFC 7396 merge patch to the stored document, validates the result and records a new revision,
 * all in one transaction. The row lock serialises concurrent patches, so each sees the one before it.
 */
export async function updateComponent(
  ctx: RegistryContext,
  uuid: string,
  patch: unknown,
  expectedRevision?: number | null,
): Promise<UpdateResult> {
  if (!isUuid(uuid)) throw new BadUserInputError(`"${uuid}" is not a UUID`, 'uuid');
  return ctx.db.write((prisma) =>
    prisma.$transaction(async (tx) => {
      // One read that also locks the row: concurrent patches queue here and each sees the one before it.
      const [current] = await tx.$queryRaw<Component[]>`
        SELECT ${COMPONENT_COLUMNS} FROM components WHERE uuid = ${uuid}::uuid FOR UPDATE`;
      if (!current) throw new NotFoundError(`no component has uuid ${uuid}`);
      if (expectedRevision != null && expectedRevision !== current.revision) {
        throw new RevisionConflictError(expectedRevision, current.revision);
      }
      const currentDocument = current.document as Record<string, unknown>;
      const patched = applyMergePatch(currentDocument, patch);
      assertImmutableFieldsKept(currentDocument, patched);
      const document = validateMetadata(patched);
      if (isDeepStrictEqual(document, currentDocument)) return { changed: false, component: current };

      const revision = current.revision + 1;
      const component = await tx.component.update({
        where: { uuid: current.uuid },
        data: { ...columnsOf(document), revision, updatedAt: new Date() },
      });
      await tx.componentRevision.create({
        data: {
          componentUuid: uuid,
          revision,
          document: document as unknown as Prisma.InputJsonObject,
          patch: patch as Prisma.InputJsonValue,
          actor: ctx.actor,
        },
      });
      const dependenciesChanged = !isDeepStrictEqual(document.dependencies, currentDocument.dependencies);
      if (dependenciesChanged) {
        await tx.componentDependency.deleteMany({ where: { componentUuid: uuid } });
        await tx.componentDependency.createMany({ data: declarationRowsOf(uuid, document) });
      }
      if (dependenciesChanged || component.lifecycle !== current.lifecycle) {
        await assertNoCycleThrough(tx, await cycleSources(tx, component));
      }
      await recordChange(tx, 'UPDATED', uuid, revision);
      return { changed: true, component };
    }),
  );
}
