import type { SqlSession } from '../db/database.js';
import type { ComponentMetadata } from '../metadata/validate.js';
import { columnsOf, type Component } from './component-row.js';
import type { RegistryContext } from './context.js';
import { assertNoCycleThrough } from './cycles.js';
import { mayCycleAmong } from './dependency-order.js';
import { AlreadyExistsError } from './errors.js';
import { assertStrandsNothing, impactOf, type Impact } from './impact.js';

/** A new component version, validated: revision 1 of its document. */
export interface PlannedRegistration {
  readonly kind: 'REGISTERED';
  readonly document: ComponentMetadata;
}

/** A new revision of a component, computed from the revision it was read at. */
export interface PlannedUpdate {
  readonly kind: 'UPDATED';
  readonly document: ComponentMetadata;
  /** The merge patch that produced the document, kept in history. */
  readonly patch: unknown;
  /** The revision the document was computed from: if the component moved on meanwhile, nothing is written. */
  readonly base: Component;
}

export type PlannedWrite = PlannedRegistration | PlannedUpdate;

export interface CommittedWrite {
  /** `unchanged`: a registration of a document already registered under its uuid (registering is idempotent). */
  readonly status: 'registered' | 'unchanged' | 'updated';
  readonly component: Component;
}

/** The component moved past the revision an update was computed from; the caller recomputes or refuses. */
export class RevisionMovedError extends Error {
  override readonly name = 'RevisionMovedError';
  constructor(
    readonly index: number,
    /** Null when the component no longer exists. */
    readonly currentRevision: number | null,
  ) {
    super(`the component is no longer at the revision the update was computed from (now ${currentRevision})`);
  }
}

/** How a caller wants its writes made. */
export interface WriteOptions {
  /** Work out what the writes change in resolutions (done in every case for a retirement, which must not strand). */
  readonly impact?: boolean;
  /** Perform every check, then write nothing: the transaction is rolled back. */
  readonly dryRun?: boolean;
  /** Make a retirement that strands dependents anyway; its revision records that it was forced. */
  readonly force?: boolean;
}

export interface CommitOutcome {
  readonly writes: CommittedWrite[];
  /** Null when nobody asked and nothing could strand. */
  readonly impact: Impact | null;
}

/** A dry run's outcome, thrown to roll its transaction back and caught by whoever began the transaction. */
class DryRunRollback extends Error {
  constructor(readonly outcome: unknown) {
    super('dry run: rolled back');
  }
}

/**
 * A write transaction, or for a dry run one that `work` completes and that is then rolled back: either way the
 * answer is what `work` returned.
 */
export async function writeTransaction<T>(ctx: RegistryContext, dryRun: boolean, work: (tx: SqlSession) => Promise<T>): Promise<T> {
  try {
    return await ctx.db.writeTransaction(async (tx) => {
      const outcome = await work(tx);
      if (dryRun) throw new DryRunRollback(outcome);
      return outcome;
    });
  } catch (error) {
    if (error instanceof DryRunRollback) return error.outcome as T;
    throw error;
  }
}

// Which of the writes given to commitWrites a refusal was about.
const refusedWrite = new WeakMap<Error, number>();

/** The position, among the writes given to commitWrites, of the write a refusal is about. */
export function refusedIndex(error: unknown): number | undefined {
  return error instanceof Error ? refusedWrite.get(error) : undefined;
}

/** Names the document of a batch a refusal is about: `extensions.index`, and the message starts with it. */
export function atIndex<E extends Error>(error: E, index: number): E {
  (error as E & { index?: number }).index = index;
  error.message = `metadata[${index}]: ${error.message}`;
  return error;
}

// The statement every write is (prisma/migrations/20261130000000_commit_writes).
const COMMIT_SQL = 'SELECT registry_commit_writes($1::jsonb, $2::text, $3::boolean) AS commit';

const ALREADY_EXISTS = 'OB001';
const REVISION_MOVED = 'OB002';
const CYCLE_CHECK_NEEDED = 'OB003';

interface CommittedRow {
  readonly status: CommittedWrite['status'];
  readonly component: Omit<Component, 'createdAt' | 'updatedAt'> & { createdAt: string; updatedAt: string };
}

interface CommitAnswer {
  readonly results: CommittedRow[];
  readonly databaseMs: number;
  readonly lockWaitMs: number;
}

/** Where one commit's time went, in milliseconds (registry_write_phase_ms). */
export interface WriteTiming {
  /** From asking for a connection to having the answer: waiting for a write connection, the statement, the commit, the network and the event loop. */
  readonly totalMs: number;
  /** The statement inside the database, lock wait included. */
  readonly databaseMs: number;
  /** Waiting for the write-order lock. */
  readonly lockWaitMs: number;
  /** `statement`: committed as it returned; `transaction`: held open for a cycle walk. */
  readonly path: 'statement' | 'transaction';
}

const sameDependencies = (a: ComponentMetadata, b: ComponentMetadata) =>
  JSON.stringify(a.dependencies ?? []) === JSON.stringify(b.dependencies ?? []);

const retiredEither = (write: PlannedUpdate) => (write.base.lifecycle === 'RETIRED') !== (write.document.lifecycle === 'retired');

/** A retirement: the only write that can leave a dependency unresolved. */
const retires = (write: PlannedWrite) => write.kind === 'UPDATED' && write.base.lifecycle !== 'RETIRED' && write.document.lifecycle === 'retired';

// Marks the revisions a forced write made (prisma/migrations/20261202300000_forced_writes).
const FORCED_SQL = `UPDATE component_revisions r SET forced = true, stranded = $3
  FROM unnest($1::uuid[], $2::int[]) AS w(uuid, revision) WHERE r.component_uuid = w.uuid AND r.revision = w.revision`;

/**
 * Whether a write adds dependency edges that could close a cycle: a registration that declares dependencies,
 * an update that changes them. (Retiring or restoring a version moves edges too; commitWrites checks those
 * in every case.)
 */
function addsEdges(write: PlannedWrite): boolean {
  if (write.kind === 'REGISTERED') return (write.document.dependencies?.length ?? 0) > 0;
  return !sameDependencies(write.document, write.base.document as unknown as ComponentMetadata);
}

function itemOf(write: PlannedWrite) {
  const columns = columnsOf(write.document);
  const item = {
    kind: write.kind,
    uuid: write.document.uuid,
    name: columns.name,
    version: columns.version,
    version_key: columns.versionKey,
    type: columns.type,
    lifecycle: columns.lifecycle,
    description: columns.description,
    owner: columns.owner,
    tags: columns.tags,
    document: write.document,
    guard: addsEdges(write),
  };
  if (write.kind === 'REGISTERED') return item;
  return { ...item, base_revision: write.base.revision, patch: write.patch ?? null, dependencies_changed: item.guard };
}

/**
 * Whether a batch's cycles can only be ruled out by walking the graph: a retirement or a restore (ranges move
 * to other versions), or declarations among the batch's own documents that could close a loop. Otherwise a
 * cycle would need an edge into the batch from outside it, which the write statement looks for under the
 * lock; such writes go straight to the checked path instead of trying the one-statement path first.
 */
function needsWalk(writes: readonly PlannedWrite[]): boolean {
  if (writes.some((write) => write.kind === 'UPDATED' && retiredEither(write))) return true;
  return writes.some(addsEdges) && mayCycleAmong(writes.map((write) => write.document));
}

/** The database's refusal as the registry's error, or the error itself when it is not one of the three. */
function refusal(error: unknown, writes: readonly PlannedWrite[]): unknown {
  const { code, detail } = (error ?? {}) as { code?: string; detail?: string };
  if (code !== ALREADY_EXISTS && code !== REVISION_MOVED) return error;
  const facts = JSON.parse(detail ?? '{}') as Record<string, unknown> & { index: number };
  if (code === REVISION_MOVED) return new RevisionMovedError(facts.index, (facts.currentRevision as number | null) ?? null);
  const document = writes[facts.index]!.document;
  const existing = `${facts.name as string}@${facts.version as string}`;
  const message = facts.sameUuid
    ? `uuid ${document.uuid} is already registered (${existing}, revision ${facts.revision as number}) with a different document; use update to change it`
    : `${document.name}@${document.version} is already registered under uuid ${facts.uuid as string}; a new document needs a new version`;
  const refused = new AlreadyExistsError(message, facts.uuid as string);
  refusedWrite.set(refused, facts.index);
  return refused;
}

/** The entries a cycle created by these writes must pass through (see assertNoCycleThrough). */
async function cycleSources(tx: SqlSession, writes: readonly PlannedWrite[]): Promise<Array<{ uuid: string; name: string }>> {
  const sources = writes.filter(addsEdges).map(({ document }) => ({ uuid: document.uuid, name: document.name }));
  const moved = writes.filter((write): write is PlannedUpdate => write.kind === 'UPDATED' && retiredEither(write));
  for (const { document } of moved) {
    // Retired, the ranges that chose it fall back to the other versions; restored, it can be chosen again.
    sources.push({ uuid: document.uuid, name: document.name });
    const others = await tx.query<{ uuid: string }>(
      `SELECT uuid::text AS uuid FROM components WHERE name = $1 AND lifecycle <> 'RETIRED' AND uuid <> $2::uuid`,
      [document.name, document.uuid],
    );
    for (const other of others) sources.push({ uuid: other.uuid, name: document.name });
  }
  return sources;
}

const toComponent = ({ component }: CommittedRow): Component => ({
  ...component,
  createdAt: new Date(component.createdAt),
  updatedAt: new Date(component.updatedAt),
});

/**
 * The one way anything is written to the registry: the rows of each write (component, revision, declared
 * dependencies), a change-feed row for each write that changed something, and no cycle committed, all in one
 * transaction. Writes that add no edges anything could resolve to (most of them) are one statement that
 * commits as it returns; the others hold their transaction open while the graph is walked for cycles, and so do
 * retirements, dry runs and writes whose impact was asked for, whose resolutions are compared under the order
 * lock. A retirement that would strand a dependent is refused unless forced. Nothing is written when any write
 * of the batch is refused, nor by a dry run. Given `tx`, the writes join that transaction (which then holds the
 * order lock until it commits; the caller rolls a dry run back, see writeTransaction).
 */
export async function commitWrites(
  ctx: RegistryContext,
  writes: readonly PlannedWrite[],
  options: WriteOptions = {},
  tx?: SqlSession,
): Promise<CommitOutcome> {
  const params = [JSON.stringify(writes.map(itemOf)), ctx.actor];
  const started = performance.now();
  const answer = (rows: Array<{ commit: CommitAnswer }>, path: WriteTiming['path']) => {
    const { results, databaseMs, lockWaitMs } = rows[0]!.commit;
    ctx.recordWrite?.({ totalMs: performance.now() - started, databaseMs, lockWaitMs, path });
    return results.map((row) => ({ status: row.status, component: toComponent(row) }));
  };
  const governed = Boolean(options.impact || options.dryRun) || writes.some(retires);
  const checked = async (session: SqlSession): Promise<CommitOutcome> => {
    const committed = answer(await session.query(COMMIT_SQL, [...params, true]), 'transaction');
    await assertNoCycleThrough(session, await cycleSources(session, writes));
    if (!governed) return { writes: committed, impact: null };
    // Without the impact in the answer, only the strand check needs it: counts, no rows.
    const shown = Boolean(options.impact || options.dryRun);
    const impact = await impactOf(
      session,
      committed.flatMap(({ status, component }, index) => {
        if (status === 'unchanged') return [];
        const write = writes[index]!;
        return [{ uuid: component.uuid, name: component.name, isNew: write.kind === 'REGISTERED', base: write.kind === 'UPDATED' ? write.base : undefined }];
      }),
      shown,
    );
    if (!options.force) assertStrandsNothing(impact);
    else if (impact.strandedLive.length > 0) {
      const updated = committed.filter(({ status }) => status === 'updated').map(({ component }) => component);
      await session.query(FORCED_SQL, [updated.map((row) => row.uuid), updated.map((row) => row.revision), impact.strandedLive.length]);
    }
    return { writes: committed, impact: shown ? impact : null };
  };
  try {
    if (tx) return await checked(tx);
    if (!governed && !needsWalk(writes)) {
      try {
        return { writes: answer(await ctx.db.writeStatement(COMMIT_SQL, [...params, false]), 'statement'), impact: null };
      } catch (error) {
        // Something declares a dependency that could resolve to a written entry: only a walk can tell.
        if ((error as { code?: string }).code !== CYCLE_CHECK_NEEDED) throw error;
      }
    }
    return await writeTransaction(ctx, options.dryRun ?? false, checked);
  } catch (error) {
    throw refusal(error, writes);
  }
}
