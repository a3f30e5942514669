import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { chunked } from '../../cli/commands/registry/add-files.js';
import { CHUNK_BYTES, CHUNK_DOCUMENTS } from '../../cli/commands/registry/add.js';
import { ExitCode } from '../../cli/exit-codes.js';
import { runCli } from '../../cli/run.js';
import { LIMITS } from '../../src/server/limits.js';
import { captureContext, cli } from './helpers.js';
import { component, startCliRegistry, type CliRegistry } from './fixtures/registry.js';

let registry: CliRegistry;

beforeAll(async () => {
  registry = await startCliRegistry();
});
afterAll(async () => {
  await registry?.close();
});

const uuid = (group: number, index: number) => `6f1c2a9e-${String(group).padStart(4, '0')}-4222-8333-${String(index).padStart(12, '0')}`;

/** Writes documents as files under a new directory of the registry's folder; returns the directory. */
async function directory(name: string, files: Record<string, unknown>): Promise<string> {
  const root = join(registry.dir, name);
  for (const [path, document] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), typeof document === 'string' ? document : path.endsWith('.json') ? JSON.stringify(document) : stringify(document));
  }
  return root;
}

describe('omnibase registry add <dir>', () => {
  it('registers every .yml, .yaml and .json file below a directory, in path order, with a summary line', async () => {
    const root = await directory('tree', {
      'b/parser.yaml': component({ uuid: uuid(1, 1), name: 'tree-parser', version: '1.0.0' }),
      // It depends on a document that comes after it in path order: the batch registers that one first.
      'a/lint.yml': component({ uuid: uuid(1, 2), name: 'tree-lint', version: '1.0.0', dependencies: [{ name: 'tree-parser', version_spec: '^1' }] }),
      'c/deep/er/tool.JSON': component({ uuid: uuid(1, 3), name: 'tree-tool', version: '2.0.0', type: 'tool' }),
      'README.md': '# not metadata',
      'c/notes.txt': 'not metadata either',
    });
    const result = await cli('registry', 'add', root, '--output', 'json');
    expect(result.stderr).toBe('registered 3, unchanged 0, refused 0\n');
    expect(result.code).toBe(ExitCode.Ok);
    expect(JSON.parse(result.stdout)).toEqual([
      { file: join(root, 'a/lint.yml'), registered: true, uuid: uuid(1, 2), name: 'tree-lint', version: '1.0.0' },
      { file: join(root, 'b/parser.yaml'), registered: true, uuid: uuid(1, 1), name: 'tree-parser', version: '1.0.0' },
      { file: join(root, 'c/deep/er/tool.JSON'), registered: true, uuid: uuid(1, 3), name: 'tree-tool', version: '2.0.0' },
    ]);
    // Every answer went to the cache.
    const offline = await cli('registry', 'get', 'tree-lint', '--offline', '--output', 'json');
    expect(JSON.parse(offline.stdout)).toMatchObject({ uuid: uuid(1, 2), dependencies: [{ resolved: { uuid: uuid(1, 1) } }] });

    const again = await cli('registry', 'add', root, join(root, 'a/lint.yml'));
    expect(again.code).toBe(ExitCode.Ok);
    expect(again.stderr).toBe('registered 0, unchanged 3, refused 0\n');
    expect(again.stdout.match(/^file: /gm)).toHaveLength(3);
  });

  it('sends chunks of 500 in one transaction each: a refused chunk names the file and is not registered at all', async () => {
    const files: Record<string, unknown> = {};
    for (let index = 0; index < CHUNK_DOCUMENTS + 10; index += 1) {
      files[`many/${String(index).padStart(4, '0')}.yml`] = component({ uuid: uuid(2, index), name: `many-${index}`, version: '1.0.0' });
    }
    // In the second chunk: a name and version someone already registered under another uuid.
    await cli('registry', 'add', await registry.file('taken.yml', component({ uuid: uuid(3, 1), name: 'many-505', version: '1.0.0' })));
    const root = await directory('chunks', files);
    const result = await cli('registry', 'add', root);
    expect(result.code).toBe(ExitCode.Conflict);
    const lines = result.stderr.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^error: ${join(root, 'many/0505.yml')}: .*many-505@1\\.0\\.0.*${uuid(3, 1)}`));
    expect(lines.slice(1)).toEqual([`registered ${CHUNK_DOCUMENTS}, unchanged 0, refused 1, not registered 9 (with the refused chunk)`, '']);
    expect(result.stdout.match(/^registered: true$/gm)).toHaveLength(CHUNK_DOCUMENTS);
    expect((await cli('registry', 'get', uuid(2, 501))).code).toBe(ExitCode.NotFound);

    await writeFile(join(root, 'many/0505.yml'), stringify(component({ uuid: uuid(2, 505), name: 'many-505', version: '1.0.1' })));
    const fixed = await cli('registry', 'add', root, '--output', 'json');
    expect(fixed.stderr).toBe(`registered 10, unchanged ${CHUNK_DOCUMENTS}, refused 0\n`);
    expect(fixed.code).toBe(ExitCode.Ok);
  });

  it('reports invalid files and still sends the valid ones; a directory with no metadata is a usage error', async () => {
    const root = await directory('mixed', {
      'good.yml': component({ uuid: uuid(4, 1), name: 'mixed-good', version: '1.0.0' }),
      'bad.yml': component({ uuid: uuid(4, 2), name: 'Mixed Bad', version: '1.0.0' }),
      'broken.json': '{"schema_version": ',
    });
    const result = await cli('registry', 'add', root);
    expect(result.code).toBe(ExitCode.InvalidInput);
    expect(result.stderr).toContain(`${join(root, 'bad.yml')}: MetadataValidationError: 1 problem\n  /name  name "Mixed Bad" must match`);
    expect(result.stderr).toContain(`MetadataParseError: ${join(root, 'broken.json')}:`);
    expect(result.stderr.endsWith('registered 1, unchanged 0, refused 2\n')).toBe(true);

    const empty = await directory('empty', { 'notes.txt': 'nothing here' });
    expect(await cli('registry', 'add', empty)).toEqual({
      code: ExitCode.InvalidInput,
      stdout: '',
      stderr: `error: ${empty} holds no .yml, .yaml or .json file, at any depth\n`,
    });
  });

  it('draws a progress bar on stderr when it is a terminal, and none when it is not', async () => {
    class Terminal extends Writable {
      text = '';
      isTTY = true;
      columns = 100;
      override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
        this.text += chunk.toString();
        callback();
      }
    }
    const root = await directory('progress', {
      'one.yml': component({ uuid: uuid(5, 1), name: 'progress-one', version: '1.0.0' }),
      'two.yml': component({ uuid: uuid(5, 2), name: 'progress-two', version: '1.0.0' }),
    });
    const captured = captureContext();
    const terminal = new Terminal();
    const code = await runCli(['registry', 'add', root], { ...captured.context, stderr: terminal });
    expect(code).toBe(ExitCode.Ok);
    expect(terminal.text).toMatch(/registering \[[░█]+\] 0\/2 documents/);
    expect(terminal.text.endsWith('registered 2, unchanged 0, refused 0\n')).toBe(true);

    const piped = await cli('registry', 'add', root);
    expect(piped.stderr).toBe('registered 0, unchanged 2, refused 0\n');
  });
});

describe('chunks', () => {
  it('stay within the count and the bytes, a document larger than the bytes going alone', () => {
    const sizes = [3, 3, 3, 9, 1, 1, 1, 1];
    expect(chunked(sizes, (size) => size, { count: 3, bytes: 7 })).toEqual([[3, 3], [3], [9], [1, 1, 1], [1]]);
    expect(chunked([], (size: number) => size, { count: 3, bytes: 7 })).toEqual([]);
  });

  it('fit in one request the server accepts, with room for the query', () => {
    expect(CHUNK_BYTES).toBeLessThan(LIMITS.bodyBytes - 64 * 1024);
    expect(LIMITS.metadataBytes * 1.1).toBeLessThan(CHUNK_BYTES);
  });
});
