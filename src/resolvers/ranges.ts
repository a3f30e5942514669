import semver from 'semver';
import { InvalidVersionSpecError } from './errors.js';

export interface Candidate {
  readonly version: string;
  readonly lifecycle: string;
}

/** Checks a version range with npm's grammar. An empty range means "*", as in npm; an invalid one is refused. */
export function assertVersionSpec(spec: string): void {
  if (semver.validRange(spec) === null) throw new InvalidVersionSpecError(spec);
}

/**
 * The registry's one rule for choosing a version: the highest that satisfies the range under npm's
 * semantics (a prerelease only when the range names one on the same major.minor.patch), never a retired one.
 */
export function resolveRange<T extends Candidate>(candidates: readonly T[], spec: string): T | null {
  assertVersionSpec(spec);
  const eligible = candidates.filter((candidate) => candidate.lifecycle.toUpperCase() !== 'RETIRED');
  const best = semver.maxSatisfying(
    eligible.map((candidate) => candidate.version),
    spec,
  );
  return best === null ? null : (eligible.find((candidate) => candidate.version === best) ?? null);
}
