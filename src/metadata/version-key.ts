import semver from 'semver';

/** The SemVer 2.0.0 grammar, verbatim from semver.org. */
const SEMVER_2_PATTERN =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

const NUMERIC_IDENTIFIER = /^\d+$/;

/** Every number in a key is padded to this width; Number.MAX_SAFE_INTEGER has 16 digits. */
const NUMBER_WIDTH = 16;

/**
 * True when `version` is strict SemVer 2.0.0 that node-semver also parses exactly, so that
 * the registry's ordering, range matching and sort keys always agree.
 */
export function isStrictSemVer(version: string): boolean {
  return matchStrictSemVer(version) !== null;
}

function matchStrictSemVer(version: string): RegExpExecArray | null {
  const match = SEMVER_2_PATTERN.exec(version);
  if (match === null || semver.parse(version, { loose: false }) === null) return null;
  // node-semver compares numeric prerelease identifiers as JS numbers, which lose precision beyond this.
  const prerelease = match[4]?.split('.') ?? [];
  const safe = prerelease.every((id) => !NUMERIC_IDENTIFIER.test(id) || Number(id) <= Number.MAX_SAFE_INTEGER);
  return safe ? match : null;
}

function padNumber(digits: string): string {
  return digits.padStart(NUMBER_WIDTH, '0');
}

function prereleaseIdentifierKey(identifier: string): string {
  return NUMERIC_IDENTIFIER.test(identifier) ? `0${padNumber(identifier)}` : `1${identifier}`;
}

/**
 * A string whose plain byte order (PostgreSQL `COLLATE "C"`) equals SemVer 2.0.0 precedence.
 *
 * Layout: major.minor.patch zero-padded, then `~` for a release (sorts above everything) or a
 * space followed by the prerelease identifiers separated by spaces (space sorts below every
 * identifier character, so a shorter identifier list sorts first); numeric identifiers become
 * `0` + padded number and alphanumeric ones `1` + text, so numeric < alphanumeric.
 * Build metadata is dropped because it does not affect precedence.
 */
export function versionSortKey(version: string): string {
  const match = matchStrictSemVer(version);
  if (match === null) {
    throw new Error(`"${version}" is not a strict SemVer 2.0.0 version`);
  }
  const [, major = '', minor = '', patch = '', prerelease] = match;
  const main = [major, minor, patch].map(padNumber).join('.');
  if (prerelease === undefined) return `${main}~`;
  return `${main} ${prerelease.split('.').map(prereleaseIdentifierKey).join(' ')}`;
}
