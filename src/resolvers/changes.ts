import type { Change, ChangeKind, Prisma } from '../generated/prisma/client.js';
import type { RegistryContext } from './context.js';
import { BadUserInputError } from './errors.js';

export type { Change };

// Held from the moment a write takes it until it commits. A write takes it before its change number, so
// numbers become visible in order and a reader that has seen number n never later finds a smaller one
// appear; a write that changes dependency edges takes it before checking for cycles, so two writes cannot
// each miss the other's half of a new cycle.
const WRITE_ORDER_LOCK = 0x6f6d6e69;

export async function takeWriteOrderLock(tx: Prisma.TransactionClient): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${WRITE_ORDER_LOCK})`;
}

/**
 * Numbers the write in the change feed. The lock and the insert are one statement: from taking the lock
 * to committing, the write then waits for no turn of a busy event loop between two round trips.
 */
export async function recordChange(
  tx: Prisma.TransactionClient,
  kind: ChangeKind,
  componentUuid: string,
  revision: number,
): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO changes (kind, component_uuid, revision)
    SELECT ${kind}::change_kind, ${componentUuid}::uuid, ${revision}::int
    FROM (SELECT pg_advisory_xact_lock(${WRITE_ORDER_LOCK})) AS ordered`;
}

export const MAX_CHANGES_PAGE = 1000;

export interface ChangePage {
  readonly changes: Change[];
  readonly hasNextPage: boolean;
}

export function changeCursor(change: Change): string {
  return change.sequence.toString();
}

/** The writes committed after `after` (a cursor from an earlier page, or none for the beginning), oldest first. */
export async function listChanges(ctx: RegistryContext, after: string | null | undefined, first: number): Promise<ChangePage> {
  if (!Number.isInteger(first) || first < 0 || first > MAX_CHANGES_PAGE) {
    throw new BadUserInputError(`first must be between 0 and ${MAX_CHANGES_PAGE} (got ${first})`, 'first');
  }
  let from = 0n;
  if (after != null && after !== '') {
    if (!/^\d{1,19}$/.test(after)) {
      throw new BadUserInputError(`after must be a cursor returned by changes (got "${after}")`, 'after');
    }
    from = BigInt(after);
  }
  const rows = await ctx.db.prisma.change.findMany({
    where: { sequence: { gt: from } },
    orderBy: { sequence: 'asc' },
    take: first + 1,
  });
  return { changes: rows.slice(0, first), hasNextPage: rows.length > first };
}
