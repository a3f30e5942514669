import type { Change } from '../generated/prisma/client.js';
import type { RegistryContext } from './context.js';
import { BadUserInputError } from './errors.js';

export type { Change };

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
