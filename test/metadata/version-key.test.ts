import { describe, it, expect } from 'vitest';
import semver from 'semver';
import { isStrictSemVer, versionSortKey } from '../../src/metadata/version-key.js';

/** Plain code-unit comparison, which is what PostgreSQL's COLLATE "C" does for ASCII. */
function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** mulberry32: a tiny seeded PRNG so any failure is reproducible. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomVersions(count: number, seed: number): string[] {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const numbers = ['0', '1', '2', '9', '10', '11', '99', '100', '1000', '12345678', '9007199254740991'];
  const words = ['alpha', 'alpha-x', 'beta', 'rc', 'x', 'z', 'A', 'Z', '-', '--', 'a-', '0a', '1a', 'x7', 'rc1', 'RC'];
  const identifier = (): string => (next() < 0.5 ? pick(numbers) : pick(words));
  const versions: string[] = [];
  for (let i = 0; i < count; i++) {
    let version = `${pick(numbers.slice(0, 6))}.${pick(numbers.slice(0, 6))}.${pick(numbers)}`;
    if (next() < 0.7) version += `-${Array.from({ length: 1 + Math.floor(next() * 4) }, identifier).join('.')}`;
    if (next() < 0.2) version += `+build.${pick(numbers)}`;
    versions.push(version);
  }
  return versions;
}

const sign = (n: number): number => Math.sign(n);

describe('versionSortKey', () => {
  it('follows the semver.org §11 precedence example', () => {
    const chain = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0'];
    const keys = chain.map(versionSortKey);
    for (let i = 1; i < keys.length; i++) expect(byteOrder(keys[i - 1]!, keys[i]!)).toBe(-1);
    expect([...chain].reverse().sort((a, b) => byteOrder(versionSortKey(a), versionSortKey(b)))).toEqual(chain);
  });

  it('orders the core numbers numerically, not lexically', () => {
    const versions = ['1.10.0', '1.9.0', '10.0.0', '2.0.0', '1.0.10', '1.0.9'];
    const sorted = [...versions].sort((a, b) => byteOrder(versionSortKey(a), versionSortKey(b)));
    expect(sorted).toEqual(['1.0.9', '1.0.10', '1.9.0', '1.10.0', '2.0.0', '10.0.0']);
  });

  it('ignores build metadata', () => {
    expect(versionSortKey('1.2.3+build.5')).toBe(versionSortKey('1.2.3'));
    expect(versionSortKey('1.2.3-rc.1+build.5')).toBe(versionSortKey('1.2.3-rc.1'));
  });

  it('has the documented layout', () => {
    expect(versionSortKey('1.2.3')).toBe('0000000000000001.0000000000000002.0000000000000003~');
    expect(versionSortKey('1.2.3-rc.10')).toBe('0000000000000001.0000000000000002.0000000000000003 1rc 00000000000000010');
  });

  it('agrees with semver.compare on every pair of random versions', () => {
    const versions = [...randomVersions(400, 20240601), '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha-x', '1.0.0-0.3.7', '1.0.0-x.7.z.92', '1.0.0-rc.1'];
    const keys = versions.map(versionSortKey);
    const mismatches: string[] = [];
    for (let i = 0; i < versions.length; i++) {
      for (let j = i + 1; j < versions.length; j++) {
        if (sign(byteOrder(keys[i]!, keys[j]!)) !== sign(semver.compare(versions[i]!, versions[j]!))) {
          mismatches.push(`${versions[i]} vs ${versions[j]}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
    const sorted = [...versions].sort((a, b) => byteOrder(versionSortKey(a), versionSortKey(b)));
    for (let i = 1; i < sorted.length; i++) expect(semver.compare(sorted[i - 1]!, sorted[i]!)).toBeLessThanOrEqual(0);
  });

  it.each(['v1.2.3', '=1.2.3', '1.2', '01.0.0', '1.0.0-01', '9007199254740992.0.0', '1.0.0-9007199254740992', ''])('throws for %j', (version) => {
    expect(() => versionSortKey(version)).toThrow(/is not a strict SemVer 2\.0\.0 version/);
    expect(isStrictSemVer(version)).toBe(false);
  });
});
