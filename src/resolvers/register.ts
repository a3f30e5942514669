import { isDeepStrictEqual } from 'node:util';
import { validateMetadata } from '../metadata/validate.js';
import { recordChange } from './changes.js';
import { assertNoCycleThrough } from './cycles.js';
import { columnsOf, declarationRowsOf, type Component } from './component-row.js';
import type { RegistryContext } from './context.js';
import { AlreadyExistsError } from './errors.js';

export interface RegisterResult {
  /** False when this exact document was already registered under its uuid: registering is idempotent. */
  readonly registered: boolean;
  readonly component: Component;
}

/**
 * Validates a metadata document and stores it as a new component version at revision 1, refusing it
 * when its dependencies would put it on a cycle.
 */
export async function registerComponent(ctx: RegistryContext, metadata: unknown): Promise<RegisterResult> {
  const document = validateMetadata(metadata);
  const columns = columnsOf(document);
  return ctx.db.write((prisma) =>
    prisma.$transaction(async (tx) => {
      // ON CONFLICT DO NOTHING waits for a concurrent registration of the same key, then sees it.
      const [inserted] = await tx.component.createManyAndReturn({
        data: [{ uuid: document.uuid, ...columns, revision: 1 }],
        skipDuplicates: true,
      });
      if (inserted) {
        await tx.componentRevision.create({
          data: { componentUuid: document.uuid, revision: 1, document: columns.document, actor: ctx.actor },
        });
        const declarations = declarationRowsOf(document.uuid, document);
        if (declarations.length > 0) {
          await tx.componentDependency.createMany({ data: declarations });
          // Without dependencies of its own the new entry cannot be on a cycle, whatever now resolves to it.
          await assertNoCycleThrough(tx, [document.uuid]);
        }
        await recordChange(tx, 'REGISTERED', document.uuid, 1);
        return { registered: true, component: inserted };
      }
      const existing = await tx.component.findMany({
        where: { OR: [{ uuid: document.uuid }, { name: document.name, version: document.version }] },
      });
      const sameUuid = existing.find((component) => component.uuid === document.uuid);
      if (sameUuid && isDeepStrictEqual(sameUuid.document, document)) {
        return { registered: false, component: sameUuid };
      }
      if (sameUuid) {
        throw new AlreadyExistsError(
          `uuid ${document.uuid} is already registered (${sameUuid.name}@${sameUuid.version}, revision ${sameUuid.revision}) ` +
            'with a different document; use update to change it',
          sameUuid.uuid,
        );
      }
      const sameVersion = existing[0]!;
      throw new AlreadyExistsError(
        `${document.name}@${document.version} is already registered under uuid ${sameVersion.uuid}; ` +
          'a new document needs a new version',
        sameVersion.uuid,
      );
    }),
  );
}
