import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dependencyOrder, mayCycleAmong, type Orderable } from '../../src/resolvers/dependency-order.js';

const uuidOf = (index: number) => `00000000-0000-4000-8000-${index.toString(16).padStart(12, '0')}`;

/** A batch whose declarations form a DAG: each document may depend on documents listed before it, by name or uuid. */
const dagBatch = fc
  .array(fc.array(fc.tuple(fc.nat(), fc.boolean()), { maxLength: 4 }), { minLength: 1, maxLength: 30 })
  .map((declarations) =>
    declarations.map((picks, index): Orderable => ({
      uuid: uuidOf(index),
      name: `c-${index}`,
      dependencies: index === 0 ? [] : picks.map(([pick, pinned]) => (pinned ? { uuid: uuidOf(pick % index) } : { name: `c-${pick % index}`, version_spec: '*' })),
    })),
  );

describe('dependencyOrder', () => {
  it('puts every document after those of the batch it depends on, whatever order they came in', () => {
    fc.assert(
      fc.property(dagBatch, fc.infiniteStream(fc.nat()), (batch, random) => {
        const shuffled = [...batch].sort(() => (random.next().value % 3) - 1);
        const order = dependencyOrder(shuffled);
        expect([...order].sort((a, b) => a - b)).toEqual(shuffled.map((_, index) => index));
        const position = new Map(order.map((index, at) => [shuffled[index]!.uuid, at]));
        for (const document of shuffled) {
          for (const dependency of document.dependencies ?? []) {
            const targets = shuffled.filter((other) => ('uuid' in dependency ? other.uuid === dependency.uuid : other.name === dependency.name));
            for (const target of targets) expect(position.get(target.uuid)!).toBeLessThan(position.get(document.uuid)!);
          }
        }
        expect(mayCycleAmong(shuffled)).toBe(false);
      }),
    );
  });

  it('finds a loop among the documents, or one declaring itself', () => {
    const a = { uuid: uuidOf(1), name: 'a', dependencies: [{ name: 'b', version_spec: '^1' }] };
    const b = { uuid: uuidOf(2), name: 'b', dependencies: [{ uuid: uuidOf(3) }] };
    const c = { uuid: uuidOf(3), name: 'c', dependencies: [{ name: 'a', version_spec: '*' }] };
    expect(mayCycleAmong([a, b, c])).toBe(true);
    expect(mayCycleAmong([a, b])).toBe(false);
    expect(dependencyOrder([a, b])).toEqual([1, 0]);
    // A loop comes after what it can follow, broken at the first of it given.
    expect(dependencyOrder([a, b, c, { uuid: uuidOf(4), name: 'd' }])).toEqual([3, 0, 2, 1]);
    expect(mayCycleAmong([{ uuid: uuidOf(5), name: 'self', dependencies: [{ name: 'self', version_spec: '^2' }] }])).toBe(true);
  });
});
