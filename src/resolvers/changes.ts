import type { Principal } from '../auth/principal.js';
import type { Database } from '../db/database.js';
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

/**
 * The feed position a cursor names: the sequence of the last change the client has, 0 for none. Sequence
 * numbers may skip (a rolled-back write used one), so a cursor means "after N", never "the Nth".
 */
export function parseChangeCursor(after: string | null | undefined): bigint {
  if (after == null || after === '') return 0n;
  if (!/^\d{1,19}$/.test(after)) {
    throw new BadUserInputError(`after must be a cursor returned by changes (got "${after}")`, 'after');
  }
  return BigInt(after);
}

/** Up to `limit` changes committed after position `after`, oldest first. */
export function changesAfter(db: Database, after: bigint, limit: number): Promise<Change[]> {
  return db.prisma.change.findMany({ where: { sequence: { gt: after } }, orderBy: { sequence: 'asc' }, take: limit });
}

/** The writes committed after `after` (a cursor from an earlier page, or none for the beginning), oldest first. */
export async function listChanges(ctx: RegistryContext, after: string | null | undefined, first: number): Promise<ChangePage> {
  if (!Number.isInteger(first) || first < 0 || first > MAX_CHANGES_PAGE) {
    throw new BadUserInputError(`first must be between 0 and ${MAX_CHANGES_PAGE} (got ${first})`, 'first');
  }
  const rows = await changesAfter(ctx.db, parseChangeCursor(after), first + 1);
  return { changes: rows.slice(0, first), hasNextPage: rows.length > first };
}

/**
 * Live change streams (src/server/change-stream.ts): each replays the feed after a position, then every change
 * as it commits, in commit order, until the client goes away or the server shuts down.
 */
export interface ChangeStreams {
  /** A new stream for `principal`; throws when the principal holds as many as the server allows, or it is shutting down. */
  open(principal: Principal, after: bigint): AsyncIterableIterator<Change>;
  /** Streams open now, all principals together. */
  openCount(): number;
  /** Ends every stream (each completes cleanly), refuses new ones, and stops listening. */
  close(): Promise<void>;
}
