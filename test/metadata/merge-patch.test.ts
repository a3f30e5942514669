import { describe, it, expect } from 'vitest';
import { applyMergePatch } from '../../src/metadata/merge-patch.js';

/** RFC 7396 Appendix A, in order: original, patch, result. */
const APPENDIX_A: Array<[string, string, string]> = [
  ['{"a":"b"}', '{"a":"c"}', '{"a":"c"}'],
  ['{"a":"b"}', '{"b":"c"}', '{"a":"b","b":"c"}'],
  ['{"a":"b"}', '{"a":null}', '{}'],
  ['{"a":"b","b":"c"}', '{"a":null}', '{"b":"c"}'],
  ['{"a":["b"]}', '{"a":"c"}', '{"a":"c"}'],
  ['{"a":"c"}', '{"a":["b"]}', '{"a":["b"]}'],
  ['{"a":{"b":"c"}}', '{"a":{"b":"d","c":null}}', '{"a":{"b":"d"}}'],
  ['{"a":[{"b":"c"}]}', '{"a":[1]}', '{"a":[1]}'],
  ['["a","b"]', '["c","d"]', '["c","d"]'],
  ['{"a":"b"}', '["c"]', '["c"]'],
  ['{"a":"foo"}', 'null', 'null'],
  ['{"a":"foo"}', '"bar"', '"bar"'],
  ['{"e":null}', '{"a":1}', '{"e":null,"a":1}'],
  ['[1,2]', '{"a":"b","c":null}', '{"a":"b"}'],
  ['{}', '{"a":{"bb":{"ccc":null}}}', '{"a":{"bb":{}}}'],
];

describe('applyMergePatch', () => {
  it('has all fifteen Appendix A examples', () => {
    expect(APPENDIX_A).toHaveLength(15);
  });

  it.each(APPENDIX_A)('RFC 7396 Appendix A: %s + %s = %s', (original, patch, expected) => {
    const target: unknown = JSON.parse(original);
    const patchValue: unknown = JSON.parse(patch);
    const result = applyMergePatch(target, patchValue);
    expect(JSON.stringify(result)).toBe(expected);
    expect(target).toEqual(JSON.parse(original));
    expect(patchValue).toEqual(JSON.parse(patch));
  });

  it('applies the RFC §3 example, keeping untouched members in order', () => {
    const target = { title: 'Goodbye!', author: { givenName: 'John', familyName: 'Doe' }, tags: ['example', 'sample'], content: 'This will be unchanged' };
    const patch = { title: 'Hello!', phoneNumber: '+01-123-456-7890', author: { familyName: null }, tags: ['example'] };
    expect(applyMergePatch(target, patch)).toEqual({
      title: 'Hello!', author: { givenName: 'John' }, tags: ['example'], content: 'This will be unchanged', phoneNumber: '+01-123-456-7890',
    });
  });

  it('shares no objects with its inputs, so later edits to the result leave them alone', () => {
    const target = { keep: { deep: [1, { x: 1 }] }, change: { a: 1 } };
    const patch = { change: { b: [2] }, added: { c: [3] } };
    const result = applyMergePatch(target, patch) as Record<string, Record<string, unknown[]>>;
    result['keep']!['deep']!.push(9);
    result['change']!['b']!.push(9);
    result['added']!['c']!.push(9);
    expect(target).toEqual({ keep: { deep: [1, { x: 1 }] }, change: { a: 1 } });
    expect(patch).toEqual({ change: { b: [2] }, added: { c: [3] } });
    const array = [1, 2];
    expect(applyMergePatch({}, array)).not.toBe(array);
  });

  it('turns a __proto__ key in the patch into a plain property without polluting Object.prototype', () => {
    const patch: unknown = JSON.parse('{"__proto__": {"polluted": true}, "nested": {"__proto__": {"polluted": true}}}');
    const result = applyMergePatch({}, patch) as Record<string, unknown>;
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(Object.hasOwn(result, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(result, '__proto__')?.value).toEqual({ polluted: true });
    expect(Object.hasOwn(result['nested'] as object, '__proto__')).toBe(true);
    expect(JSON.stringify(result)).toBe('{"__proto__":{"polluted":true},"nested":{"__proto__":{"polluted":true}}}');
  });

  it('merges into and deletes an existing own __proto__ property safely', () => {
    const target: unknown = JSON.parse('{"__proto__": {"a": 1}}');
    const merged = applyMergePatch(target, JSON.parse('{"__proto__": {"b": 2}}'));
    expect(JSON.stringify(merged)).toBe('{"__proto__":{"a":1,"b":2}}');
    expect(JSON.stringify(applyMergePatch(target, JSON.parse('{"__proto__": null}')))).toBe('{}');
    expect(({} as Record<string, unknown>)['b']).toBeUndefined();
  });

  it('ignores inherited properties of the target when merging', () => {
    expect(JSON.stringify(applyMergePatch({}, { toString: { a: 1 }, constructor: null }))).toBe('{"toString":{"a":1}}');
  });
});
