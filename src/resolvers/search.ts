import { Prisma, type ComponentType, type Lifecycle } from '../generated/prisma/client.js';
import { COMPONENT_COLUMNS, type Component } from './component-row.js';
import type { RegistryContext } from './context.js';
import { BadUserInputError } from './errors.js';

export interface SearchFilters {
  /** Entries carrying every one of these tags. */
  readonly tags?: readonly string[] | null;
  readonly type?: ComponentType | null;
  readonly lifecycle?: Lifecycle | null;
  /** Full-text query (web-search syntax: words, "quoted phrases", -exclusions, or) over name, tags and description. */
  readonly text?: string | null;
  /** Keep only the highest version of each name among the entries that match the other filters. */
  readonly latestOnly?: boolean | null;
}

export interface SearchPage {
  readonly components: Component[];
  readonly cursors: string[];
  readonly hasNextPage: boolean;
  /** Counted only when asked for: the number of entries matching the filters across all pages. */
  totalCount(): Promise<number>;
}

export const MAX_SEARCH_PAGE = 500;
export const MAX_TAG_FILTERS = 64;
export const MAX_TEXT_LENGTH = 1000;


type Position = [name: string, versionKey: string, uuid: string];

function encodeCursor(component: Component): string {
  const position: Position = [component.name, component.versionKey, component.uuid];
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

function decodeCursor(cursor: string): Position {
  try {
    const position: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(position) && position.length === 3 && position.every((part) => typeof part === 'string')) {
      return position as Position;
    }
  } catch {
    // fall through to the error below
  }
  throw new BadUserInputError(`after must be a cursor returned by search (got "${cursor.slice(0, 64)}")`, 'after');
}

function filterConditions(filters: SearchFilters): Prisma.Sql[] {
  const conditions: Prisma.Sql[] = [];
  const tags = filters.tags ?? [];
  if (tags.length > MAX_TAG_FILTERS) {
    throw new BadUserInputError(`at most ${MAX_TAG_FILTERS} tags can be combined (got ${tags.length})`, 'tags');
  }
  if (tags.length > 0) conditions.push(Prisma.sql`tags @> ${[...new Set(tags)]}::text[]`);
  if (filters.type) conditions.push(Prisma.sql`type = ${filters.type}::component_type`);
  if (filters.lifecycle) conditions.push(Prisma.sql`lifecycle = ${filters.lifecycle}::lifecycle`);
  const text = filters.text?.trim();
  if (text && text.length > MAX_TEXT_LENGTH) {
    throw new BadUserInputError(`text is limited to ${MAX_TEXT_LENGTH} characters (got ${text.length})`, 'text');
  }
  if (text) {
    // Names and tags are indexed word for word, descriptions stemmed as English: ask both ways.
    conditions.push(Prisma.sql`(search_vector @@ websearch_to_tsquery('english', ${text})
      OR search_vector @@ websearch_to_tsquery('simple', ${text}))`);
  }
  return conditions;
}

function whereClause(conditions: Prisma.Sql[]): Prisma.Sql {
  return conditions.length ? Prisma.sql`WHERE ${Prisma.join(conditions, ' AND ')}` : Prisma.empty;
}

/** One page of entries matching every filter, ordered by name, then newest version first. */
export async function searchComponents(
  ctx: RegistryContext,
  filters: SearchFilters,
  first = 50,
  after?: string | null,
): Promise<SearchPage> {
  if (!Number.isInteger(first) || first < 0 || first > MAX_SEARCH_PAGE) {
    throw new BadUserInputError(`first must be between 0 and ${MAX_SEARCH_PAGE} (got ${first})`, 'first');
  }
  const conditions = filterConditions(filters);
  const latestOnly = filters.latestOnly === true;
  const matching = latestOnly
    ? Prisma.sql`SELECT DISTINCT ON (name) ${COMPONENT_COLUMNS} FROM components ${whereClause(conditions)}
        ORDER BY name, version_key DESC, uuid`
    : Prisma.sql`SELECT ${COMPONENT_COLUMNS} FROM components ${whereClause(conditions)}`;
  let keyset = Prisma.empty;
  if (after) {
    const [name, versionKey, uuid] = decodeCursor(after);
    keyset = Prisma.sql`WHERE (c.name > ${name} OR (c.name = ${name} AND (c."versionKey" < ${versionKey}
      OR (c."versionKey" = ${versionKey} AND c.uuid > ${uuid}))))`;
  }
  const rows = await ctx.db.prisma.$queryRaw<Component[]>`
    SELECT * FROM (${matching}) AS c ${keyset}
    ORDER BY c.name, c."versionKey" DESC, c.uuid
    LIMIT ${first + 1}`;
  const components = rows.slice(0, first);
  return {
    components,
    cursors: components.map(encodeCursor),
    hasNextPage: rows.length > first,
    async totalCount() {
      const counted = latestOnly ? Prisma.sql`count(DISTINCT name)` : Prisma.sql`count(*)`;
      const [row] = await ctx.db.prisma.$queryRaw<{ total: number }[]>`
        SELECT ${counted}::int AS total FROM components ${whereClause(conditions)}`;
      return row?.total ?? 0;
    },
  };
}
