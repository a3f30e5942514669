import { readdir, readFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ExitCode } from '../../cli/exit-codes.js';
import { runCli } from '../../cli/run.js';
import { captureContext, cli, setEnv } from './helpers.js';
import { component, startCliRegistry, type CliRegistry } from './fixtures/registry.js';

const LINT = '6f1c2a9e-1111-4222-8333-444455556666';
const LINT_2 = '6f1c2a9e-1111-4222-8333-444455556667';
const PARSER = '6f1c2a9e-2222-4222-8333-444455556666';
const RUNNER = '6f1c2a9e-3333-4222-8333-444455556666';

let registry: CliRegistry;
let lintFile: string;

beforeAll(async () => {
  registry = await startCliRegistry();
  lintFile = await registry.file(
    'validator.yml',
    component({
      uuid: LINT,
      name: 'yaml-lint',
      version: '1.4.2',
      lifecycle: 'active',
      description: 'Lints YAML files',
      owner: 'platform-team',
      tags: ['yaml', 'canary'],
      dependencies: [{ name: 'yaml-parser', version_spec: '^2.1.0' }, { name: 'missing-thing', version_spec: '^1' }],
    }),
  );
  const others = [
    component({ uuid: PARSER, name: 'yaml-parser', version: '2.1.3', type: 'tool', tags: ['yaml'] }),
    component({ uuid: LINT_2, name: 'yaml-lint', version: '2.0.0', tags: ['yaml'], dependencies: [{ uuid: PARSER }] }),
    component({ uuid: RUNNER, name: 'test-runner', version: '0.9.0', type: 'test', lifecycle: 'deprecated', tags: ['canary'] }),
  ];
  const files = await Promise.all(others.map((document, index) => registry.file(`other-${index}.yml`, document)));
  const added = await cli('registry', 'add', lintFile, ...files);
  expect(added.stderr).toBe('registered 4, unchanged 0, refused 0\n');
  expect(added.code).toBe(ExitCode.Ok);
});

afterAll(async () => {
  await registry?.close();
});

beforeEach(async () => {
  await registry.freshCache();
});

describe('omnibase registry add', () => {
  it('registers a file, prints registered: true and the uuid, then false when the same document comes again', async () => {
    const uuid = '6f1c2a9e-6666-4222-8333-444455556666';
    const file = await registry.file('new.yml', component({ uuid, name: 'brand-new', version: '1.0.0' }));
    const first = await cli('registry', 'add', file);
    expect(first).toEqual({
      code: ExitCode.Ok,
      stdout: `file: ${file}\nregistered: true\nuuid: ${uuid}\nname: brand-new\nversion: 1.0.0\n`,
      stderr: 'registered 1, unchanged 0, refused 0\n',
    });
    const again = await cli('registry', 'add', file, '--output', 'json');
    expect(again.code).toBe(ExitCode.Ok);
    expect(JSON.parse(again.stdout)).toEqual([{ file, registered: false, uuid, name: 'brand-new', version: '1.0.0' }]);
  });

  it('reports every problem of an invalid file with its pointer (exit 2) and still registers the other files', async () => {
    const bad = await registry.file('bad.yml', component({ name: 'Bad Name', version: '1.0' }));
    const good = await registry.file('good.yml', component({ uuid: '6f1c2a9e-4444-4222-8333-444455556666', name: 'good', version: '1.0.0' }));
    const result = await cli('registry', 'add', bad, good, '--output', 'yaml');
    expect(result.code).toBe(ExitCode.InvalidInput);
    expect(result.stderr).toBe(
      `${bad}: MetadataValidationError: 3 problems\n` +
        '  /name  name "Bad Name" must match ^[a-z0-9][a-z0-9._-]{0,127}$ (lowercase letters, digits, ., _ and -)  [pattern]\n' +
        '  /uuid  uuid is required  [required]\n' +
        '  /version  version "1.0" must be a strict SemVer 2.0.0 version such as 1.4.2 (no leading v or =)  [format]\n' +
        'registered 1, unchanged 0, refused 1\n',
    );
    expect(parse(result.stdout)).toEqual([
      { file: good, registered: true, uuid: '6f1c2a9e-4444-4222-8333-444455556666', name: 'good', version: '1.0.0' },
    ]);
  });

  it('reports a file that cannot be read or parsed as MetadataParseError (exit 2)', async () => {
    const broken = await registry.file('broken.yml', 'name: [unclosed\n');
    const result = await cli('registry', 'add', `${registry.dir}/absent.yml`, broken);
    expect(result.code).toBe(ExitCode.InvalidInput);
    expect(result.stderr).toContain(`MetadataParseError: cannot read ${registry.dir}/absent.yml: no such file or directory\n`);
    expect(result.stderr).toContain(`MetadataParseError: ${broken}:`);
    expect(result.stdout).toBe('');
  });

  it('refuses a different document under an existing uuid with ALREADY_EXISTS, exit 6', async () => {
    const changed = await registry.file('changed.yml', component({ uuid: PARSER, name: 'yaml-parser', version: '2.1.3', type: 'tool' }));
    const result = await cli('registry', 'add', changed);
    expect(result.code).toBe(ExitCode.Conflict);
    expect(result.stderr).toMatch(new RegExp(`^error: ${changed}: .*${PARSER}`));
  });

  it('needs REGISTRY_WRITE: without a token it exits 5 and says which capability and how to get it', async () => {
    const restore = setEnv({ OMNIBASE_TOKEN: undefined });
    try {
      const result = await cli('registry', 'add', lintFile);
      expect(result.code).toBe(ExitCode.Unauthorized);
      expect(result.stderr).toContain('REGISTRY_WRITE');
      expect(result.stderr).toContain('set OMNIBASE_TOKEN to a token with REGISTRY_WRITE');
    } finally {
      restore();
    }
  });

  it('finds the local credential the server wrote for its URL when OMNIBASE_TOKEN is unset', async () => {
    const { saveLocalCredential } = await import('../../src/auth/local-credential.js');
    await saveLocalCredential({ url: registry.url, tokenId: 'local', token: registry.token, createdAt: new Date().toISOString() });
    const restore = setEnv({ OMNIBASE_TOKEN: undefined });
    try {
      const result = await cli('registry', 'add', lintFile);
      expect(result.stderr).toBe('registered 0, unchanged 1, refused 0\n');
      expect(result.stdout).toContain('registered: false');
    } finally {
      restore();
    }
  });
});

describe('omnibase registry get', () => {
  it('shows a component by uuid for people, with its dependencies and their resolution', async () => {
    const result = await cli('registry', 'get', LINT.toUpperCase());
    expect(result.stderr).toBe('');
    expect(result.code).toBe(ExitCode.Ok);
    const lines = result.stdout.split('\n');
    expect(lines.slice(0, 8)).toEqual([
      'name          yaml-lint',
      'version       1.4.2',
      `uuid          ${LINT}`,
      'type          validator',
      'lifecycle     active',
      'owner         platform-team',
      'tags          yaml, canary',
      'description   Lints YAML files',
    ]);
    expect(result.stdout).toContain(`dependencies  2\n  yaml-parser ^2.1.0 → 2.1.3 (${PARSER})\n  missing-thing ^1 → unresolved\n`);
  });

  it('resolves name@range like the registry (highest satisfying) and prints stable JSON or YAML', async () => {
    const latest = await cli('registry', 'get', 'yaml-lint', '--output', 'json');
    expect(JSON.parse(latest.stdout)).toMatchObject({ uuid: LINT_2, version: '2.0.0', dependencies: [{ uuid: PARSER, resolved: { name: 'yaml-parser' } }] });
    const ranged = await cli('registry', 'get', 'yaml-lint@^1', '--output', 'yaml');
    expect(parse(ranged.stdout)).toMatchObject({ uuid: LINT, version: '1.4.2', type: 'VALIDATOR', metadata: { owner: 'platform-team' } });
    const human = await cli('registry', 'get', 'yaml-lint@2');
    expect(human.stdout).toContain(`uuid          ${LINT_2}\n`);
    expect(human.stdout).toContain(`  uuid ${PARSER} → yaml-parser@2.1.3\n`);
    // An empty range is "*", as in npm, online and offline.
    const empty = await cli('registry', 'get', 'yaml-lint@', '--output', 'json');
    expect(JSON.parse(empty.stdout)).toMatchObject({ uuid: LINT_2 });
    const offline = await cli('registry', 'get', 'yaml-lint@', '--offline', '--output', 'json');
    expect(JSON.parse(offline.stdout)).toMatchObject({ uuid: LINT_2 });
  });

  it('exits 4 naming what was not found', async () => {
    const byUuid = await cli('registry', 'get', '6f1c2a9e-9999-4222-8333-444455556666');
    expect(byUuid).toEqual({
      code: ExitCode.NotFound,
      stdout: '',
      stderr: `error: no component has uuid 6f1c2a9e-9999-4222-8333-444455556666 in the registry at ${registry.url}\n`,
    });
    const byRange = await cli('registry', 'get', 'yaml-lint@^7');
    expect(byRange.code).toBe(ExitCode.NotFound);
    expect(byRange.stderr).toContain('no version of yaml-lint satisfies "^7"');
  });

  it('exits 2 for an invalid range or something that is neither a uuid nor a name', async () => {
    const range = await cli('registry', 'get', 'yaml-lint@not a range!');
    expect(range.code).toBe(ExitCode.InvalidInput);
    expect(range.stderr).toBe('error: "not a range!" is not a valid npm version range (examples: 1.4.2, ^1.4.0, >=1 <2, *)\n');
    const name = await cli('registry', 'get', 'Not_A_Name');
    expect(name).toEqual({
      code: ExitCode.InvalidInput,
      stdout: '',
      stderr: 'error: "Not_A_Name" is neither a uuid nor a component name[@range] (such as yaml-lint@^1.4)\n',
    });
  });

  it('exits 2 for a --url that is not an http URL, and for --offline with --prefer-offline', async () => {
    const url = await cli('registry', 'get', LINT, '--url', 'ftp://example.org/graphql');
    expect(url).toEqual({
      code: ExitCode.InvalidInput,
      stdout: '',
      stderr: 'error: --url must be an http:// or https:// URL, such as http://127.0.0.1:4000/graphql (got "ftp://example.org/graphql")\n',
    });
    const restore = setEnv({ OMNIBASE_URL: 'not a url' });
    try {
      expect((await cli('registry', 'get', LINT)).stderr).toContain('OMNIBASE_URL must be the registry\'s GraphQL URL');
    } finally {
      restore();
    }
    const both = await cli('registry', 'get', LINT, '--offline', '--prefer-offline');
    expect(both.code).toBe(ExitCode.InvalidInput);
    expect(both.stderr).toBe('error: --offline and --prefer-offline exclude each other; choose one\n');
  });
});

describe('omnibase registry ls', () => {
  it('lists exactly the components tagged canary, as an aligned table', async () => {
    const result = await cli('registry', 'ls', '--tag', 'canary');
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(
      'NAME         VERSION  TYPE       LIFECYCLE   TAGS         UUID\n' +
        `test-runner  0.9.0    test       deprecated  canary       ${RUNNER}\n` +
        `yaml-lint    1.4.2    validator  active      yaml,canary  ${LINT}\n`,
    );
  });

  it('combines filters, keeps the latest version per name, and pages up to --limit', async () => {
    const yaml = await cli('registry', 'ls', '--tag', 'yaml', '--type', 'validator', '--latest', '--output', 'json');
    expect(JSON.parse(yaml.stdout)).toMatchObject({ totalCount: 1, components: [{ uuid: LINT_2 }] });
    const deprecated = await cli('registry', 'ls', '--lifecycle', 'deprecated', '--output', 'yaml');
    expect(parse(deprecated.stdout).components.map((c: { name: string }) => c.name)).toEqual(['test-runner']);
    const limited = await cli('registry', 'ls', '--limit', '2');
    expect(limited.stdout.trimEnd().split('\n')).toHaveLength(4);
    expect(limited.stdout).toMatch(/\n2 of \d+ shown; raise --limit to see more\n$/);
    const text = await cli('registry', 'ls', '--text', 'files');
    expect(text.stdout).toContain(`yaml-lint  1.4.2    validator  active     yaml,canary  ${LINT}\n`);
    expect(text.stdout).not.toContain('2.0.0');
    expect((await cli('registry', 'ls', '--tag', 'no-such-tag')).stdout).toBe('no component matches\n');
  });

  it('rejects an unknown --type or a --limit that is not a positive integer as usage errors (exit 2)', async () => {
    const type = await cli('registry', 'ls', '--type', 'gadget');
    expect(type.code).toBe(ExitCode.InvalidInput);
    expect(type.stderr).toContain('--type');
    expect((await cli('registry', 'ls', '--limit', '0')).code).toBe(ExitCode.InvalidInput);
  });
});

describe('omnibase registry update', () => {
  it('applies a merge patch from a file, and refuses a stale --expected-revision with exit 6', async () => {
    const target = '6f1c2a9e-5555-4222-8333-444455556666';
    await cli('registry', 'add', await registry.file('target.yml', component({ uuid: target, name: 'patched', version: '1.0.0' })));
    const patch = await registry.file('patch.yml', { description: 'patched once', tags: ['fresh'] });
    const result = await cli('registry', 'update', target, '--patch', patch, '--expected-revision', '1');
    expect(result).toEqual({ code: ExitCode.Ok, stdout: `changed: true\nuuid: ${target}\nname: patched\nversion: 1.0.0\nrevision: 2\n`, stderr: '' });
    const stale = await cli('registry', 'update', target, '--patch', patch, '--expected-revision', '1');
    expect(stale.code).toBe(ExitCode.Conflict);
    expect(stale.stderr).toBe('error: expected revision 1, but the component is at revision 2; re-read it and retry\n');
    const json = await cli('registry', 'update', target, '--patch', patch, '--output', 'json');
    expect(JSON.parse(json.stdout)).toMatchObject({ changed: false, revision: 2, component: { description: 'patched once', tags: ['fresh'] } });
  });

  it('reads the patch from stdin with --patch -', async () => {
    const captured = captureContext();
    const stdin = new PassThrough();
    stdin.end('{"lifecycle": "deprecated"}');
    const code = await runCli(['registry', 'update', RUNNER, '--patch', '-'], { ...captured.context, stdin });
    expect(captured.stderr()).toBe('');
    expect(code).toBe(ExitCode.Ok);
    expect(captured.stdout()).toContain('changed: false\n');
  });

  it('refuses to change an immutable field (exit 2) and names a bad patch, uuid or revision', async () => {
    const immutable = await registry.file('rename.yml', { name: 'renamed' });
    const refused = await cli('registry', 'update', PARSER, '--patch', immutable);
    expect(refused).toEqual({ code: ExitCode.InvalidInput, stdout: '', stderr: 'error: name cannot change after registration; register a new version instead\n' });
    const missing = await cli('registry', 'update', PARSER, '--patch', `${registry.dir}/none.yml`);
    expect(missing.code).toBe(ExitCode.InvalidInput);
    expect(missing.stderr).toMatch(/^error: cannot read the patch from .*none\.yml: ENOENT/);
    const malformed = await cli('registry', 'update', PARSER, '--patch', await registry.file('malformed.yml', 'a: [\n'));
    expect(malformed.code).toBe(ExitCode.InvalidInput);
    expect(malformed.stderr).toContain('is not one YAML or JSON document');
    expect((await cli('registry', 'update', 'yaml-lint', '--patch', immutable)).stderr).toBe(
      "error: \"yaml-lint\" is not a uuid; `omnibase registry get <name>` shows a component's uuid\n",
    );
    expect((await cli('registry', 'update', PARSER, '--patch', immutable, '--expected-revision', '0')).code).toBe(ExitCode.InvalidInput);
  });

  it('exits 4 for an unknown uuid', async () => {
    const patch = await registry.file('noop.yml', { description: 'x' });
    const result = await cli('registry', 'update', '6f1c2a9e-9999-4222-8333-444455556666', '--patch', patch);
    expect(result.code).toBe(ExitCode.NotFound);
    expect(result.stderr).toContain('6f1c2a9e-9999-4222-8333-444455556666');
  });
});

describe('omnibase registry graph', () => {
  it('prints the dependencies as a tree with the unresolved ones, and the dependents the other way', async () => {
    const tree = await cli('registry', 'graph', LINT);
    expect(tree).toEqual({
      code: ExitCode.Ok,
      stdout: `yaml-lint@1.4.2  ${LINT}\n├── yaml-parser@2.1.3  ^2.1.0\n└── missing-thing ^1  (unresolved)\n`,
      stderr: '',
    });
    const dependents = await cli('registry', 'graph', PARSER, '--direction', 'dependents');
    expect(dependents.stdout).toBe(`yaml-parser@2.1.3  ${PARSER}\n├── yaml-lint@1.4.2  ^2.1.0\n└── yaml-lint@2.0.0  (pinned)\n`);
    const shallow = await cli('registry', 'graph', LINT, '--depth', '0');
    expect(shallow.stdout).toContain('truncated: the depth or node limit stopped the walk; raise --depth to see more\n');
  });

  it('writes Graphviz and Mermaid source, and JSON or YAML', async () => {
    const dot = await cli('registry', 'graph', LINT, '--format', 'dot');
    expect(dot.stdout).toContain(`  "${LINT}" -> "${PARSER}" [label="^2.1.0"];\n`);
    expect(dot.stdout).toContain('[label="missing-thing ^1 (unresolved)", style=dashed];');
    expect(dot.stdout).toMatch(/^digraph dependencies \{\n[\s\S]*\}\n$/);
    const mermaid = await cli('registry', 'graph', LINT, '--format', 'mermaid');
    expect(mermaid.stdout).toContain('graph LR\n  n0["yaml-lint@1.4.2"]\n  n1["yaml-parser@2.1.3"]\n  n0 -->|"^2.1.0"| n1\n');
    expect(mermaid.stdout).toContain('  u0["missing-thing ^1 (unresolved)"]\n  n0 -.-> u0\n');
    const json = await cli('registry', 'graph', LINT, '--output', 'json');
    expect(JSON.parse(json.stdout)).toMatchObject({ root: { uuid: LINT }, isDag: true, truncated: false, edges: [{ from: LINT, to: PARSER }] });
    const yaml = await cli('registry', 'graph', LINT, '--format', 'yaml');
    expect(parse(yaml.stdout)).toEqual(JSON.parse(json.stdout));
  });

  it('exits 4 for an unknown root and 2 for a root that is not a uuid', async () => {
    const unknown = await cli('registry', 'graph', '6f1c2a9e-9999-4222-8333-444455556666');
    expect(unknown.code).toBe(ExitCode.NotFound);
    expect((await cli('registry', 'graph', 'yaml-lint')).code).toBe(ExitCode.InvalidInput);
  });
});

describe('--help', () => {
  it('lists the registry commands and explains each with examples', async () => {
    const overview = await cli('--help');
    for (const command of ['registry add', 'registry get', 'registry ls', 'registry update', 'registry graph', 'registry sync', 'registry cache stats', 'registry cache purge']) {
      expect(overview.stdout).toContain(`omnibase ${command}`);
    }
    const get = await cli('registry', 'get', '--help');
    expect(get.code).toBe(ExitCode.Ok);
    expect(get.stdout).toContain('--prefer-offline');
    expect(get.stdout).toContain('OMNIBASE_TOKEN');
    expect(get.stdout).toContain('omnibase registry get yaml-lint@^1 --output json');
  });
});

it('keeps what it read in a cache folder of its own, one JSON file per entry', async () => {
  const cache = await registry.freshCache();
  await cli('registry', 'get', LINT);
  const folder = `${cache}/registry-cache-127.0.0.1-${new URL(registry.url).port}-graphql`;
  expect((await readdir(folder)).sort()).toEqual([`omnibase%3Acomponent%3Ayaml-lint%3A${LINT}.json`, 'omnibase%3Ameta%3Aformat.json']);
  const text = await readFile(`${folder}/omnibase%3Acomponent%3Ayaml-lint%3A${LINT}.json`, 'utf8');
  expect(JSON.parse(text)).toMatchObject({ value: { value: { uuid: LINT, name: 'yaml-lint' }, storedAt: expect.any(Number) } });
});
