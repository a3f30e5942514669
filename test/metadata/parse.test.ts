import { describe, it, expect } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetadataParseError, parseMetadataText, readMetadataFile } from '../../src/metadata/parse.js';

function parseError(text: string, file = 'component.yml'): MetadataParseError {
  try {
    parseMetadataText(text, file);
  } catch (error) {
    expect(error).toBeInstanceOf(MetadataParseError);
    return error as MetadataParseError;
  }
  throw new Error('expected parseMetadataText to throw');
}

async function readError(path: string): Promise<MetadataParseError> {
  const error: unknown = await readMetadataFile(path).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(MetadataParseError);
  return error as MetadataParseError;
}

const YAML_DOCUMENT = `schema_version: "0.3"
uuid: 6f1c2a9e-0b6d-4e4f-9a51-1c2d3e4f5a6b
name: yaml-lint
version: 1.4.2
type: validator
tags: [yaml, canary]
dependencies:
  - name: yaml-parser
    version_spec: "^2.1.0"
annotations: {}
`;

describe('parseMetadataText', () => {
  it('parses YAML into plain JSON data', () => {
    expect(parseMetadataText(YAML_DOCUMENT, 'a.yml')).toEqual({
      schema_version: '0.3',
      uuid: '6f1c2a9e-0b6d-4e4f-9a51-1c2d3e4f5a6b',
      name: 'yaml-lint',
      version: '1.4.2',
      type: 'validator',
      tags: ['yaml', 'canary'],
      dependencies: [{ name: 'yaml-parser', version_spec: '^2.1.0' }],
      annotations: {},
    });
  });

  it('parses JSON the same way', () => {
    expect(parseMetadataText('{"name": "a", "n": [1, 2.5, true, null]}', 'a.json')).toEqual({ name: 'a', n: [1, 2.5, true, null] });
  });

  it('keeps YAML 1.1 surprises out: yes, on and dates stay strings, 1.10 is a number', () => {
    expect(parseMetadataText('a: yes\nb: on\nc: 2001-01-01\nd: 1.10\ne: 0o17\n', 'a.yml')).toEqual({ a: 'yes', b: 'on', c: '2001-01-01', d: 1.1, e: 15 });
  });

  it('reports a syntax error with file, line and column', () => {
    const error = parseError('name: a\ntags: [yaml, canary\nowner: me\n', 'bad.yml');
    expect(error.message).toMatch(/^bad\.yml:3:1: Flow sequence in block collection must be sufficiently indented and end with a \]$/);
    expect(error).toMatchObject({ name: 'MetadataParseError', file: 'bad.yml', line: 3, column: 1 });
  });

  it('reports a JSON syntax error with its position', () => {
    expect(parseError('{\n  "name": "a",\n  "version": \n', 'bad.json').message).toMatch(/^bad\.json:\d+:\d+: /);
  });

  it('refuses duplicate keys, naming the line of the repeat', () => {
    const error = parseError('name: a\nowner: me\nname: b\n');
    expect(error.message).toBe('component.yml:3:1: Map keys must be unique');
    expect(error.line).toBe(3);
  });

  it('refuses a file with more than one document', () => {
    const error = parseError('name: a\n---\nname: b\n');
    expect(error.message).toBe('component.yml:2:1: expected one YAML document, found 2');
  });

  it.each([[''], ['   \n\n'], ['# only a comment\n'], ['---\n']])('calls %j empty', (text) => {
    const error = parseError(text, 'empty.yml');
    expect(error.message).toBe('empty.yml is empty');
    expect(error.line).toBeUndefined();
  });

  it('passes an explicit null through for the validator to reject', () => {
    expect(parseMetadataText('null\n', 'a.yml')).toBeNull();
  });

  it('refuses tags that would not be plain JSON', () => {
    expect(parseError('a: 1\nb: !!timestamp 2001-01-01\n').message).toBe('component.yml:2:4: Unresolved tag: tag:yaml.org,2002:timestamp');
    expect(parseError('a: !custom x\n').message).toBe('component.yml:1:4: Unresolved tag: !custom');
  });

  it('refuses numbers JSON cannot hold', () => {
    expect(parseError('a: 1\nb: [.inf]\n').message).toBe('component.yml:2:5: .inf is not a JSON number');
    expect(parseError('b: -.Inf\n').message).toBe('component.yml:1:4: -.Inf is not a JSON number');
    expect(parseError('b: .nan\n').message).toBe('component.yml:1:4: .nan is not a JSON number');
  });

  it('refuses collections used as mapping keys', () => {
    expect(parseError('? [a, b]\n: c\n').message).toBe('component.yml:1:3: mapping keys must be strings, not collections');
  });

  it('refuses alias bombs', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    const error = parseError(lines.join('\n'), 'bomb.yml');
    expect(error.message).toMatch(/^bomb\.yml: .*alias/i);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('keeps a __proto__ key as data', () => {
    const value = parseMetadataText('__proto__: {polluted: true}\n', 'a.yml') as Record<string, unknown>;
    expect(Object.hasOwn(value, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('readMetadataFile', () => {
  it('reads and parses a UTF-8 file, byte order mark included', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'omnibase-metadata-'));
    const path = join(dir, 'component.yml');
    await writeFile(path, `\uFEFF${YAML_DOCUMENT}`);
    await expect(readMetadataFile(path)).resolves.toMatchObject({ name: 'yaml-lint', version: '1.4.2' });
  });

  it('names a missing file and the OS reason', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'omnibase-metadata-'));
    const path = join(dir, 'bad.yml');
    const error = await readError(path);
    expect(error.message).toBe(`cannot read ${path}: no such file or directory`);
    expect(error).toMatchObject({ file: path, line: undefined, column: undefined });
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('names a directory given as a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'omnibase-metadata-'));
    expect((await readError(dir)).message).toBe(`cannot read ${dir}: illegal operation on a directory`);
  });

  it('refuses bytes that are not UTF-8', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'omnibase-metadata-'));
    const path = join(dir, 'latin1.yml');
    await writeFile(path, Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0x3a, 0x20, 0xe9, 0x0a]));
    expect((await readError(path)).message).toBe(`${path} is not valid UTF-8`);
  });

  it('reports parse errors under the path it was given', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'omnibase-metadata-'));
    const path = join(dir, 'dup.yml');
    await writeFile(path, 'a: 1\na: 2\n');
    expect((await readError(path)).message).toBe(`${path}:2:1: Map keys must be unique`);
  });
});
