import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../cli/exit-codes.js';
import { cli, tempDir, VALID_YAML, writeTextFile } from './helpers.js';

let dir: string;
let removeDir: () => Promise<void>;

beforeAll(async () => {
  ({ dir, remove: removeDir } = await tempDir('omnibase-validate-'));
});

afterAll(async () => {
  await removeDir();
});

const BAD_YAML = VALID_YAML.replace(/^uuid: .*\n/m, '');

describe('omnibase validate metadata', () => {
  it('accepts a valid YAML file', async () => {
    const file = await writeTextFile(dir, 'good.yml', VALID_YAML);
    const result = await cli('validate', 'metadata', file);
    expect(result).toEqual({ code: ExitCode.Ok, stdout: `valid: ${file} (yaml-lint@1.4.2)\n`, stderr: '' });
  });

  it('accepts a valid JSON file', async () => {
    const document = {
      schema_version: '0.3',
      uuid: '6f1c2a9e-2222-4222-8333-444455556666',
      name: 'json-check',
      version: '2.0.0-rc.1',
      type: 'tool',
      dependencies: [{ name: 'yaml-lint', version_spec: '^1.4.0' }],
    };
    const file = await writeTextFile(dir, 'tool.json', JSON.stringify(document, null, 2));
    const result = await cli('validate', 'metadata', file);
    expect(result).toEqual({ code: ExitCode.Ok, stdout: `valid: ${file} (json-check@2.0.0-rc.1)\n`, stderr: '' });
  });

  it('rejects bad.yml without a uuid with exit 2, naming MetadataValidationError and /uuid', async () => {
    const file = await writeTextFile(dir, 'bad.yml', BAD_YAML);
    const result = await cli('validate', 'metadata', file);
    expect(result.code).toBe(ExitCode.InvalidInput);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`${file}: MetadataValidationError: 1 problem`);
    expect(result.stderr).toMatch(/^ {2}\/uuid {2}uuid is required {2}\[required\]$/m);
  });

  it('lists every problem of a document, each with its pointer', async () => {
    const text = [
      'schema_version: "0.2"',
      'uuid: not-a-uuid',
      'name: Yaml Lint',
      'version: v1.4',
      'type: linter',
      'tags: [yaml, yaml]',
      'colour: blue',
      '',
    ].join('\n');
    const file = await writeTextFile(dir, 'many.yml', text);
    const result = await cli('validate', 'metadata', file);
    expect(result.code).toBe(ExitCode.InvalidInput);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('MetadataValidationError: 7 problems');
    const pointers = [...result.stderr.matchAll(/^ {2}(\/\S*) {2}/gm)].map((match) => match[1]);
    expect(pointers).toEqual(['/colour', '/name', '/schema_version', '/tags/1', '/type', '/uuid', '/version']);
    expect(result.stderr).toContain('[additionalProperties]');
    expect(result.stderr).toContain('[uniqueItems]');
  });

  it('checks every file and still reports the valid ones when one is invalid', async () => {
    const good = await writeTextFile(dir, 'one-good.yml', VALID_YAML);
    const bad = await writeTextFile(dir, 'one-bad.yml', BAD_YAML);
    const other = await writeTextFile(dir, 'other-good.yml', VALID_YAML.replace('1.4.2', '1.5.0'));
    const result = await cli('validate', 'metadata', good, bad, other);
    expect(result.code).toBe(ExitCode.InvalidInput);
    expect(result.stdout).toBe(`valid: ${good} (yaml-lint@1.4.2)\nvalid: ${other} (yaml-lint@1.5.0)\n`);
    expect(result.stderr).toContain(`${bad}: MetadataValidationError`);
    expect(result.stderr).toContain('/uuid');
    expect(result.stderr).not.toContain(good);
  });

  it('reports malformed YAML as MetadataParseError with file:line:col', async () => {
    const file = await writeTextFile(dir, 'broken.yml', 'schema_version: "0.3"\nname: yaml-lint\ntags: [yaml\n');
    const result = await cli('validate', 'metadata', file);
    expect(result.code).toBe(ExitCode.InvalidInput);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(new RegExp(`^MetadataParseError: ${escapeRegExp(file)}:\\d+:\\d+: \\S`));
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('reports a duplicate key at its line and column', async () => {
    const file = await writeTextFile(dir, 'dupe.yml', `${VALID_YAML}name: again\n`);
    const result = await cli('validate', 'metadata', file);
    expect(result.code).toBe(ExitCode.InvalidInput);
    expect(result.stderr).toMatch(new RegExp(`^MetadataParseError: ${escapeRegExp(file)}:7:1: `));
  });

  it('reports a missing file by name with exit 2', async () => {
    const file = `${dir}/does-not-exist.yml`;
    const result = await cli('validate', 'metadata', file);
    expect(result.code).toBe(ExitCode.InvalidInput);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`MetadataParseError: cannot read ${file}: no such file or directory\n`);
  });

  it('reports an empty file', async () => {
    const file = await writeTextFile(dir, 'empty.yml', '');
    const result = await cli('validate', 'metadata', file);
    expect(result.code).toBe(ExitCode.InvalidInput);
    expect(result.stderr).toBe(`MetadataParseError: ${file} is empty\n`);
  });

  it('is a usage error (exit 2) without a file argument', async () => {
    const result = await cli('validate', 'metadata');
    expect(result.code).toBe(ExitCode.InvalidInput);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('Not enough positional arguments');
    expect(result.stderr).toContain('omnibase validate metadata <file>');
    // The context says no colours, so no ANSI escapes.
    expect(result.stderr).not.toContain('\u001b[');
  });

  it('is a usage error (exit 2) for an unknown command or option', async () => {
    const unknown = await cli('validate', 'everything', 'x.yml');
    expect(unknown.code).toBe(ExitCode.InvalidInput);
    expect(unknown.stderr).not.toBe('');
    const option = await cli('validate', 'metadata', '--strict', 'x.yml');
    expect(option.code).toBe(ExitCode.InvalidInput);
    expect(option.stderr).toContain('--strict');
  });

  it('explains itself with --help', async () => {
    const result = await cli('validate', 'metadata', '--help');
    expect(result.code).toBe(ExitCode.Ok);
    expect(result.stdout).toContain('omnibase validate metadata <file>');
    expect(result.stdout).toContain('schema v0.3');
    expect(result.stderr).toBe('');
  });

  it('lists the command in the general help', async () => {
    const result = await cli('--help');
    expect(result.code).toBe(ExitCode.Ok);
    expect(result.stdout).toContain('validate metadata');
    expect(result.stdout).toContain('db migrate');
    expect(result.stdout).toContain('serve');
  });

  it('prints the package version with --version', async () => {
    const result = await cli('--version');
    expect(result.code).toBe(ExitCode.Ok);
    expect(result.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
