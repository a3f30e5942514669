import { describe, it, expect } from 'vitest';
import {
  MAX_METADATA_BYTES,
  MetadataValidationError,
  formatProblems,
  validateMetadata,
  type MetadataProblem,
} from '../../src/metadata/validate.js';

const UUID = '6F1C2A9E-0B6D-4E4F-9A51-1C2D3E4F5A6B';
const DEP_UUID = '0B6D4E4F-9A51-4C2D-8E4F-5A6B6F1C2A9E';

function minimal(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { schema_version: '0.3', uuid: UUID.toLowerCase(), name: 'yaml-lint', version: '1.4.2', type: 'validator', ...extra };
}

function full(): Record<string, unknown> {
  return {
    schema_version: '0.3',
    uuid: UUID,
    name: 'yaml-lint',
    version: '1.4.2',
    type: 'validator',
    lifecycle: 'active',
    description: 'Lints YAML files',
    owner: 'platform-team',
    tags: ['yaml', 'canary'],
    dependencies: [{ name: 'yaml-parser', version_spec: '^2.1.0' }, { uuid: DEP_UUID }],
    annotations: { 'anything/goes': { nested: [1, 'two', null] }, colour: 'blue' },
  };
}

function problemsOf(input: unknown): MetadataProblem[] {
  try {
    validateMetadata(input);
  } catch (error) {
    expect(error).toBeInstanceOf(MetadataValidationError);
    return (error as MetadataValidationError).problems;
  }
  throw new Error('expected validateMetadata to throw');
}

/** Asserts exactly one problem and returns it. */
function onlyProblem(input: unknown): MetadataProblem {
  const problems = problemsOf(input);
  expect(problems).toHaveLength(1);
  return problems[0]!;
}

describe('validateMetadata: valid documents', () => {
  it('accepts a document using every field and normalises it without touching the input', () => {
    const input = full();
    const before = structuredClone(input);
    const result = validateMetadata(input);
    expect(input).toEqual(before);
    expect(result).not.toBe(input);
    expect(result.uuid).toBe(UUID.toLowerCase());
    expect(result.dependencies).toEqual([{ name: 'yaml-parser', version_spec: '^2.1.0' }, { uuid: DEP_UUID.toLowerCase() }]);
    expect(result.lifecycle).toBe('active');
    expect(result.annotations).toEqual(before['annotations']);
    expect(result.dependencies).not.toBe(input['dependencies']);
  });

  it('applies the experimental lifecycle default', () => {
    const input = minimal();
    expect(validateMetadata(input).lifecycle).toBe('experimental');
    expect(input).not.toHaveProperty('lifecycle');
  });

  it.each(['1.2.3-rc.1+build.5', '0.0.0', '1.0.0-alpha-x.0.x-y', '9007199254740991.0.0', '1.0.0-9007199254740991'])(
    'accepts version %s',
    (version) => {
      expect(validateMetadata(minimal({ version })).version).toBe(version);
    },
  );

  it.each(['^2.1.0', '>=1 <2 || 3.x', '*', '~1.2', '1.2.3', '>=1.0.0-beta.1'])('accepts version_spec %s', (version_spec) => {
    expect(() => validateMetadata(minimal({ dependencies: [{ name: 'dep', version_spec }] }))).not.toThrow();
  });

  it('accepts any keys inside annotations, including ones that would be unknown elsewhere', () => {
    const annotations = { uuid: 'not-a-uuid', 'x/y~z': true, deep: { colour: 'red' } };
    expect(validateMetadata(minimal({ annotations })).annotations).toEqual(annotations);
  });

  it('keeps __proto__ keys in annotations as plain data', () => {
    const result = validateMetadata(JSON.parse(`{"schema_version":"0.3","uuid":"${UUID}","name":"a","version":"1.0.0","type":"tool","annotations":{"__proto__":{"polluted":true}}}`));
    expect(Object.hasOwn(result.annotations!, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('validateMetadata: one rule at a time', () => {
  it.each([
    ['schema_version'], ['uuid'], ['name'], ['version'], ['type'],
  ])('a missing %s is a required problem pointing at the missing key', (key) => {
    const input = minimal();
    delete input[key];
    expect(onlyProblem(input)).toEqual({ pointer: `/${key}`, keyword: 'required', message: `${key} is required` });
  });

  it('rejects another schema_version', () => {
    const problem = onlyProblem(minimal({ schema_version: '0.2' }));
    expect(problem).toMatchObject({ pointer: '/schema_version', keyword: 'const' });
    expect(problem.message).toBe('schema_version must be "0.3", got "0.2"');
  });

  it.each([
    ['not-a-uuid'],
    ['urn:uuid:6f1c2a9e-0b6d-4e4f-9a51-1c2d3e4f5a6b'],
    ['6f1c2a9e0b6d4e4f9a511c2d3e4f5a6b'],
    ['6f1c2a9e-0b6d-0e4f-9a51-1c2d3e4f5a6b'],
    ['6f1c2a9e-0b6d-9e4f-9a51-1c2d3e4f5a6b'],
    ['6f1c2a9e-0b6d-4e4f-7a51-1c2d3e4f5a6b'],
    ['{6f1c2a9e-0b6d-4e4f-9a51-1c2d3e4f5a6b}'],
  ])('rejects uuid %s', (uuid) => {
    const problem = onlyProblem(minimal({ uuid }));
    expect(problem).toMatchObject({ pointer: '/uuid', keyword: 'pattern' });
    expect(problem.message).toMatch(/^uuid ".*" must be a UUID such as [0-9a-f-]{36} \(8-4-4-4-12 hex digits, version 1-8\)$/);
  });

  it.each([['Yaml-Lint'], ['-lint'], ['.hidden'], ['a b'], [''], ['a'.repeat(129)]])('rejects name %j', (name) => {
    const problem = onlyProblem(minimal({ name }));
    expect(problem).toMatchObject({ pointer: '/name', keyword: 'pattern' });
    expect(problem.message).toContain('must match ^[a-z0-9][a-z0-9._-]{0,127}$ (lowercase letters, digits, ., _ and -)');
    expect(problem.message).toMatch(/^name "/);
  });

  it('accepts a name of exactly 128 characters', () => {
    expect(() => validateMetadata(minimal({ name: `a${'.'.repeat(127)}` }))).not.toThrow();
  });

  it.each([
    ['v1.2.3'], ['=1.2.3'], ['1.2'], ['1.2.3.4'], ['01.2.3'], ['1.2.3-'], ['1.2.3-01'], ['1.2.3+'], [' 1.2.3'],
    ['1.2.3-beta..1'], ['9007199254740992.0.0'], ['1.0.0-9007199254740992'], [`1.0.0-${'a'.repeat(300)}`],
  ])('rejects version %s', (version) => {
    const problem = onlyProblem(minimal({ version }));
    expect(problem).toMatchObject({ pointer: '/version', keyword: 'format' });
    expect(problem.message).toMatch(/^version ".*" must be a strict SemVer 2\.0\.0 version such as 1\.4\.2/);
  });

  it('reports an unquoted YAML number version as a type problem', () => {
    const problem = onlyProblem(minimal({ version: 1.1 }));
    expect(problem).toEqual({ pointer: '/version', keyword: 'type', message: 'version must be a string, got 1.1' });
  });

  it('rejects an unknown type and lifecycle, naming the allowed values', () => {
    const problems = problemsOf(minimal({ type: 'widget', lifecycle: 'dead' }));
    expect(problems).toEqual([
      { pointer: '/lifecycle', keyword: 'enum', message: 'lifecycle must be one of experimental, active, deprecated, retired, got "dead"' },
      { pointer: '/type', keyword: 'enum', message: 'type must be one of validator, tool, test, got "widget"' },
    ]);
  });

  it('limits description to 4000 characters', () => {
    expect(() => validateMetadata(minimal({ description: 'x'.repeat(4000) }))).not.toThrow();
    expect(onlyProblem(minimal({ description: 'x'.repeat(4001) }))).toEqual({
      pointer: '/description', keyword: 'maxLength', message: 'description must be at most 4000 characters long',
    });
  });

  it('requires a non-empty owner of at most 256 characters', () => {
    expect(onlyProblem(minimal({ owner: '' }))).toEqual({ pointer: '/owner', keyword: 'minLength', message: 'owner must be at least 1 character long' });
    expect(onlyProblem(minimal({ owner: 'o'.repeat(257) }))).toMatchObject({ pointer: '/owner', keyword: 'maxLength' });
  });

  it('checks each tag, their uniqueness and their number', () => {
    const bad = onlyProblem(minimal({ tags: ['ok', 'Not_OK'] }));
    expect(bad).toMatchObject({ pointer: '/tags/1', keyword: 'pattern' });
    expect(bad.message).toBe('tags/1 "Not_OK" must match ^[a-z0-9][a-z0-9-]{0,63}$ (lowercase letters, digits and -)');
    expect(onlyProblem(minimal({ tags: ['a', 'b', 'a'] }))).toEqual({
      pointer: '/tags/2', keyword: 'uniqueItems', message: 'tags must not repeat "a" (items 0 and 2)',
    });
    const many = Array.from({ length: 65 }, (_, i) => `t${i}`);
    expect(onlyProblem(minimal({ tags: many }))).toEqual({ pointer: '/tags', keyword: 'maxItems', message: 'tags must have at most 64 items' });
    expect(onlyProblem(minimal({ tags: 'yaml' }))).toEqual({ pointer: '/tags', keyword: 'type', message: 'tags must be an array, got "yaml"' });
  });

  it('requires annotations to be an object', () => {
    expect(onlyProblem(minimal({ annotations: [] }))).toEqual({ pointer: '/annotations', keyword: 'type', message: 'annotations must be an object, got []' });
  });

  it('limits dependencies to 256', () => {
    const dependencies = Array.from({ length: 257 }, (_, i) => ({ name: `d${i}`, version_spec: '*' }));
    expect(onlyProblem(minimal({ dependencies }))).toMatchObject({ pointer: '/dependencies', keyword: 'maxItems' });
  });

  it('rejects an unknown top-level key, pointing at it and at /annotations', () => {
    expect(onlyProblem(minimal({ colour: 'blue' }))).toEqual({
      pointer: '/colour', keyword: 'additionalProperties', message: 'unknown key "colour"; custom data belongs under /annotations',
    });
  });

  it('escapes ~ and / in pointers (RFC 6901)', () => {
    expect(onlyProblem(minimal({ 'a/b~c': 1 })).pointer).toBe('/a~1b~0c');
  });
});

describe('validateMetadata: dependencies', () => {
  const dependency = (value: unknown): Record<string, unknown> => minimal({ dependencies: [{ name: 'ok', version_spec: '*' }, value] });

  it.each([['latest'], ['^^1'], [''], ['   '], ['>=1 <<2'], ['v']])('rejects version_spec %j', (version_spec) => {
    const problem = onlyProblem(dependency({ name: 'dep', version_spec }));
    expect(problem).toMatchObject({ pointer: '/dependencies/1/version_spec', keyword: 'format' });
    expect(problem.message).toBe(`dependencies/1/version_spec ${JSON.stringify(version_spec)} is not a valid npm version range (such as ^2.1.0 or >=1 <3)`);
  });

  it('limits version_spec to 256 characters', () => {
    expect(problemsOf(dependency({ name: 'dep', version_spec: `${'1.2.3 '.repeat(50)}` })).map((p) => p.keyword)).toContain('maxLength');
  });

  it('requires name and version_spec together', () => {
    expect(onlyProblem(dependency({ name: 'dep' }))).toEqual({
      pointer: '/dependencies/1/version_spec',
      keyword: 'required',
      message: 'dependencies/1/version_spec is required (a dependency has name + version_spec, or a uuid alone)',
    });
    expect(onlyProblem(dependency({ version_spec: '^1' }))).toMatchObject({ pointer: '/dependencies/1/name', keyword: 'required' });
    expect(problemsOf(dependency({})).map((p) => p.pointer)).toEqual(['/dependencies/1/name', '/dependencies/1/version_spec']);
  });

  it('refuses a uuid pin that also has name or version_spec', () => {
    for (const extra of [{ name: 'dep' }, { version_spec: '^1' }, { name: 'dep', version_spec: '^1' }]) {
      expect(onlyProblem(dependency({ uuid: DEP_UUID, ...extra }))).toEqual({
        pointer: '/dependencies/1', keyword: 'not', message: 'a dependency pinned by uuid must not also have name or version_spec',
      });
    }
  });

  it('checks the pinned uuid and the dependency name', () => {
    expect(onlyProblem(dependency({ uuid: 'nope' }))).toMatchObject({ pointer: '/dependencies/1/uuid', keyword: 'pattern' });
    expect(onlyProblem(dependency({ name: 'Bad Name', version_spec: '*' }))).toMatchObject({ pointer: '/dependencies/1/name', keyword: 'pattern' });
  });

  it('rejects unknown keys inside a dependency without pointing at /annotations', () => {
    expect(onlyProblem(dependency({ uuid: DEP_UUID, colour: 'red' }))).toEqual({
      pointer: '/dependencies/1/colour', keyword: 'additionalProperties', message: 'unknown key "colour"',
    });
  });

  it('reports a non-object dependency once', () => {
    expect(onlyProblem(dependency('yaml-parser@^2'))).toEqual({
      pointer: '/dependencies/1', keyword: 'type', message: 'dependencies/1 must be an object, got "yaml-parser@^2"',
    });
  });
});

describe('validateMetadata: whole documents', () => {
  it.each([
    [null, 'metadata must be an object, got null'],
    [[], 'metadata must be an object, got an array'],
    ['yaml-lint', 'metadata must be an object, got string'],
    [42, 'metadata must be an object, got number'],
  ])('reports a non-object input %j as one problem at the document', (input, message) => {
    expect(onlyProblem(input)).toEqual({ pointer: '', keyword: 'type', message });
  });

  it('reports an object that does not serialise to an object', () => {
    expect(onlyProblem({ toJSON: () => undefined })).toEqual({ pointer: '', keyword: 'type', message: 'metadata must be an object, got null' });
  });

  it('reports data that cannot be serialised as JSON', () => {
    const problem = onlyProblem(minimal({ annotations: { big: 1n } }));
    expect(problem).toMatchObject({ pointer: '', keyword: 'type' });
    expect(problem.message).toMatch(/^metadata must be plain JSON data \(.*BigInt/);
  });

  it('rejects a document over 256 KiB before looking at anything else', () => {
    const input = minimal({ colour: 'also invalid', annotations: { padding: '' } });
    input['annotations'] = { padding: 'x'.repeat(300 * 1024 - JSON.stringify(input).length) };
    expect(Buffer.byteLength(JSON.stringify(input))).toBe(300 * 1024);
    expect(onlyProblem(input)).toEqual({ pointer: '', keyword: 'maxBytes', message: 'document is 300.0 KiB; the limit is 256 KiB' });
  });

  it('counts UTF-8 bytes, not characters, and accepts exactly the limit', () => {
    const base = JSON.stringify(minimal({ annotations: { p: '' } })).length;
    const atLimit = minimal({ annotations: { p: 'x'.repeat(MAX_METADATA_BYTES - base) } });
    expect(() => validateMetadata(atLimit)).not.toThrow();
    const multiByte = minimal({ annotations: { p: 'é'.repeat((MAX_METADATA_BYTES - base) / 2 + 1) } });
    expect(onlyProblem(multiByte).message).toBe('document is 256.1 KiB; the limit is 256 KiB');
  });

  it('reports every problem at once, ordered by pointer with numeric indexes in order', () => {
    const input = {
      schema_version: 0.3,
      name: 'Bad',
      version: 'v1',
      type: 'thing',
      zebra: true,
      tags: ['OK'],
      dependencies: Array.from({ length: 11 }, (_, i) => (i === 2 || i === 10 ? { name: 'x' } : { uuid: DEP_UUID })),
    };
    const problems = problemsOf(input);
    expect(problems.map((p) => `${p.pointer} ${p.keyword}`)).toEqual([
      '/dependencies/2/version_spec required',
      '/dependencies/10/version_spec required',
      '/name pattern',
      '/schema_version type',
      '/schema_version const',
      '/tags/0 pattern',
      '/type enum',
      '/uuid required',
      '/version format',
      '/zebra additionalProperties',
    ]);
  });

  it('summarises the problems in the error message and names the error', () => {
    const error = (() => {
      try {
        validateMetadata(minimal({ uuid: undefined, tags: ['X'] }));
      } catch (e) {
        return e as MetadataValidationError;
      }
      throw new Error('expected a failure');
    })();
    expect(error.name).toBe('MetadataValidationError');
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe(
      'metadata is invalid (2 problems): /tags/0: tags/0 "X" must match ^[a-z0-9][a-z0-9-]{0,63}$ (lowercase letters, digits and -); /uuid: uuid is required',
    );
    expect(formatProblems(error)).toBe(
      [
        'MetadataValidationError: 2 problems',
        '  /tags/0  tags/0 "X" must match ^[a-z0-9][a-z0-9-]{0,63}$ (lowercase letters, digits and -)  [pattern]',
        '  /uuid  uuid is required  [required]',
      ].join('\n'),
    );
  });

  it('labels document-level problems and caps a long message', () => {
    const single = new MetadataValidationError([{ pointer: '', keyword: 'type', message: 'metadata must be an object, got null' }]);
    expect(single.message).toBe('metadata is invalid (1 problem): (document): metadata must be an object, got null');
    expect(formatProblems(single)).toBe('MetadataValidationError: 1 problem\n  (document)  metadata must be an object, got null  [type]');
    const tags = Array.from({ length: 12 }, (_, i) => `T${i}`);
    const error = new MetadataValidationError(problemsOf(minimal({ tags })));
    expect(error.problems).toHaveLength(12);
    expect(error.message).toMatch(/; … and 2 more$/);
    expect(formatProblems(error).split('\n')).toHaveLength(13);
  });

  it('truncates long offending values in messages', () => {
    const problem = onlyProblem(minimal({ name: 'N'.repeat(200) }));
    expect(problem.message).toMatch(/^name "N{75}…" must match/);
    const annotations = onlyProblem(minimal({ annotations: Array.from({ length: 50 }, (_, i) => i) }));
    expect(annotations.message).toMatch(/^annotations must be an object, got \[0,1,.{60,}…$/);
  });
});
