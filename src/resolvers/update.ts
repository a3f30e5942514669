import { isDeepStrictEqual } from 'node:util';
import { applyMergePatch } from '../metadata/merge-patch.js';
import { validateMetadata } from '../metadata/validate.js';
import { COMPONENT_BY_UUID_SQL, isUuid, type Component } from './component-row.js';
import type { RegistryContext } from './context.js';
import { BadUserInputError, ImmutableFieldError, NotFoundError, RevisionConflictError } from './errors.js';
import { NO_IMPACT, type Impact } from './impact.js';
import { commitWrites, RevisionMovedError, writeTransaction, type CommitOutcome, type PlannedUpdate, type WriteOptions } from './write.js';

const IMMUTABLE_FIELDS = ['schema_version', 'uuid', 'name', 'version'] as const;

export interface UpdateResult {
  /** False when the patch left the document as it was: no revision is added for a no-op. */
  readonly changed: boolean;
  readonly component: Component;
  /** True when nothing was written: the answer is what the update would have done. */
  readonly dryRun: boolean;
  /** What the update changed in resolutions; null when the caller did not ask and nothing could strand. */
  readonly impact: Impact | null;
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

/** The new revision a patch makes of `current`, or null when the patch changes nothing. */
function planUpdate(current: Component, patch: unknown): PlannedUpdate | null {
  const currentDocument = current.document as Record<string, unknown>;
  const patched = applyMergePatch(currentDocument, patch);
  assertImmutableFieldsKept(currentDocument, patched);
  const document = validateMetadata(patched);
  return isDeepStrictEqual(document, currentDocument) ? null : { kind: 'UPDATED', document, patch, base: current };
}

/** Optimistic tries before an update waits for the component's row lock instead. */
const OPTIMISTIC_ATTEMPTS = 3;


/**
 * Applies an RFC 7396 merge patch to the stored document, validates the result and records a new revision,
 * all in one transaction. The patch is applied to the revision read and written only if the component is
 * still at that revision, else applied again to the newer one: concurrent patches each see the ones before
 * them and none is lost. Nothing is locked while the patch is computed, unless other writes to the same
 * component keep overtaking it; then it takes the row lock and computes under it.
 */
export async function updateComponent(
  ctx: RegistryContext,
  uuid: string,
  patch: unknown,
  expectedRevision?: number | null,
  options: WriteOptions = {},
): Promise<UpdateResult> {
  if (!isUuid(uuid)) throw new BadUserInputError(`"${uuid}" is not a UUID`, 'uuid');
  const key = uuid.toLowerCase();
  const dryRun = options.dryRun ?? false;
  const attempt = async (current: Component | null | undefined, commit: (write: PlannedUpdate) => Promise<CommitOutcome>): Promise<UpdateResult> => {
    if (!current) throw new NotFoundError(`no component has uuid ${uuid}`);
    if (expectedRevision != null && expectedRevision !== current.revision) {
      throw new RevisionConflictError(expectedRevision, current.revision);
    }
    const write = planUpdate(current, patch);
    if (!write) return { changed: false, component: current, dryRun, impact: options.impact ? NO_IMPACT : null };
    const { writes, impact } = await commit(write);
    return { changed: true, component: writes[0]!.component, dryRun, impact };
  };
  for (let tries = 0; tries < OPTIMISTIC_ATTEMPTS; tries += 1) {
    try {
      // Read on a write connection: behind the readers' queue it would wait longer than it takes.
      const [current] = await ctx.db.writeStatement<Component>(COMPONENT_BY_UUID_SQL, [key]);
      return await attempt(current, (write) => commitWrites(ctx, [write], options));
    } catch (error) {
      if (!(error instanceof RevisionMovedError)) throw error;
      if (error.currentRevision === null) throw new NotFoundError(`no component has uuid ${uuid}`);
      if (expectedRevision != null) throw new RevisionConflictError(expectedRevision, error.currentRevision);
    }
  }
  return writeTransaction(ctx, dryRun, async (tx) => {
    const [current] = await tx.query<Component>(`${COMPONENT_BY_UUID_SQL} FOR UPDATE`, [key]);
    return attempt(current, (write) => commitWrites(ctx, [write], options, tx));
  });
}
