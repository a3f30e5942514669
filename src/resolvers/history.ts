import jsonPatch, { type Operation } from 'fast-json-patch';
import type { ComponentRevision } from '../generated/prisma/client.js';
import type { RegistryContext } from './context.js';
import { BadUserInputError, NotFoundError } from './errors.js';

/** The most revisions one page of `history` holds: documents run to 256 KiB each. */
export const MAX_HISTORY_PAGE = 1_000;

/** One revision as `history` serves it, with the document before it (null at revision 1), for its diff. */
export type HistoryEntry = ComponentRevision & { readonly previousDocument: unknown };

/** Which page of whose history: revisions at most `upTo` (null: all), newest first, `first` of them. */
export interface HistoryPage {
  readonly uuid: string;
  readonly upTo: number | null;
  readonly first: number;
}

/**
 * The page asked for by `history(first, after)` of a component at revision `revision` (the revision it is read
 * at: now, or as of an instant): revisions below `after`, never above `revision`.
 */
export function historyPage(uuid: string, revision: number | null | undefined, first: number, after: string | null | undefined): HistoryPage {
  if (!Number.isInteger(first) || first < 0 || first > MAX_HISTORY_PAGE) {
    throw new BadUserInputError(`first must be between 0 and ${MAX_HISTORY_PAGE} (got ${first})`, 'first');
  }
  let upTo = revision ?? null;
  if (after != null) {
    if (!/^[1-9][0-9]{0,9}$/.test(after)) {
      throw new BadUserInputError(`after must be a revision number, such as "42" (got "${after.slice(0, 64)}")`, 'after');
    }
    upTo = Math.min(upTo ?? Infinity, Number(after) - 1);
  }
  return { uuid, upTo, first };
}

/** The pages asked for, in the order asked: one statement for the whole batch. */
export async function historyPages(ctx: RegistryContext, pages: readonly HistoryPage[]): Promise<HistoryEntry[][]> {
  // One row beyond each page, whose document is the last entry's previous one.
  const rows = await ctx.db.query<ComponentRevision & { ordinal: number }>(
    `SELECT k.ordinal::int AS ordinal, r.component_uuid::text AS "componentUuid", r.revision, r.document, r.patch, r.actor, r.at,
            r.forced, r.stranded
       FROM unnest($1::uuid[], $2::int[], $3::int[]) WITH ORDINALITY AS k(uuid, up_to, take, ordinal)
       CROSS JOIN LATERAL (
         SELECT * FROM component_revisions r
          WHERE r.component_uuid = k.uuid AND (k.up_to IS NULL OR r.revision <= k.up_to)
          ORDER BY r.revision DESC LIMIT CASE WHEN k.take = 0 THEN 0 ELSE k.take + 1 END) r
      ORDER BY k.ordinal, r.revision DESC`,
    [pages.map((page) => page.uuid), pages.map((page) => page.upTo), pages.map((page) => page.first)],
  );
  const byPage: ComponentRevision[][] = pages.map(() => []);
  for (const { ordinal, ...row } of rows) byPage[ordinal - 1]!.push(row);
  return byPage.map((revisions, index) =>
    revisions.slice(0, pages[index]!.first).map((revision, position) => ({
      ...revision,
      previousDocument: revisions[position + 1]?.document ?? null,
    })),
  );
}

/** The RFC 6902 patch that turns `from` into `to`. */
export function documentDiff(from: unknown, to: unknown): Operation[] {
  return jsonPatch.compare(from as object, to as object);
}

/** A revision's diff: from the revision before it, [] at revision 1. */
export function revisionDiff(entry: HistoryEntry): Operation[] {
  return entry.previousDocument === null ? [] : documentDiff(entry.previousDocument, entry.document);
}

export class RevisionNotFoundError extends NotFoundError {
  constructor(
    readonly uuid: string,
    readonly revision: number,
    readonly latest: number | null,
  ) {
    super(
      latest === null
        ? `component ${uuid} has no revision ${revision}: it does not exist`
        : `component ${uuid} has no revision ${revision}: its revisions are 1 to ${latest}`,
    );
  }
  override details() {
    return { uuid: this.uuid, revision: this.revision };
  }
}

/** Which diff of whose documents: from revision `from` to `to`, of a component read at revision `upTo`. */
export interface DiffRequest {
  readonly uuid: string;
  readonly from: number;
  readonly to: number;
  readonly upTo: number | null;
}

/**
 * `Component.diff(from, to)` for a batch of components, in the order asked: the RFC 6902 patch from revision
 * `from`'s document to `to`'s, or a RevisionNotFoundError naming a revision the component does not have (above
 * `upTo` counts as not having it: a component read as of an instant had no later revision then).
 */
export async function documentDiffs(ctx: RegistryContext, requests: readonly DiffRequest[]): Promise<Array<Operation[] | Error>> {
  const rows = await ctx.db.query<{ uuid: string; revision: number; document: unknown; latest: number }>(
    `SELECT k.uuid::text AS uuid, k.revision, r.document,
            (SELECT max(l.revision) FROM component_revisions l WHERE l.component_uuid = k.uuid)::int AS latest
       FROM (SELECT DISTINCT uuid, revision FROM unnest($1::uuid[], $2::int[]) AS k(uuid, revision)) k
       LEFT JOIN component_revisions r ON r.component_uuid = k.uuid AND r.revision = k.revision`,
    [requests.flatMap((request) => [request.uuid, request.uuid]), requests.flatMap((request) => [request.from, request.to])],
  );
  const documents = new Map(rows.map((row) => [`${row.uuid}/${row.revision}`, row]));
  return requests.map(({ uuid, from, to, upTo }) => {
    for (const revision of [from, to]) {
      const row = documents.get(`${uuid}/${revision}`);
      const latest = upTo === null ? (row?.latest ?? null) : Math.min(upTo, row?.latest ?? upTo);
      if (!row || row.document === null || row.document === undefined || (upTo !== null && revision > upTo)) {
        return new RevisionNotFoundError(uuid, revision, row?.latest == null ? null : latest);
      }
    }
    return documentDiff(documents.get(`${uuid}/${from}`)!.document, documents.get(`${uuid}/${to}`)!.document);
  });
}
