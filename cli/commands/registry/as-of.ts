import { Option } from 'clipanion';
import { UsageInputError } from '../../client/errors.js';

/** Said in --help of the commands that take --as-of. */
export const AS_OF_DETAILS = `
  With --as-of <time>, the answer is the registry as it stood at that instant (inclusive): the versions
  registered by then, each with its lifecycle and document then, ranges resolved over them. The time is ISO
  8601, e.g. 2026-11-30T09:00:00Z, or a date (midnight UTC); without an offset, local time. Past answers come
  from the registry itself, never from the cache, which holds the present only.
`;

/** The --as-of option. */
export function asOfOption(): string | undefined {
  return Option.String('--as-of', { description: 'Answer as the registry stood at this ISO 8601 time (e.g. 2026-11-30T09:00:00Z)' });
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * The instant --as-of names, as the ISO text the registry takes; a usage error for anything else, and for
 * --offline, since the cache holds the present only.
 */
export function parseAsOf(text: string, offline: boolean): string {
  const trimmed = text.trim();
  const time = ISO_8601.test(trimmed) ? Date.parse(trimmed.replace(' ', 'T')) : Number.NaN;
  if (Number.isNaN(time)) throw new UsageInputError(`--as-of must be an ISO 8601 time such as 2026-11-30T09:00:00Z or a date such as 2026-11-30 (got "${text}")`);
  if (offline) throw new UsageInputError('--as-of asks the registry: the cache holds the present only, so it cannot be used with --offline');
  return new Date(time).toISOString();
}
