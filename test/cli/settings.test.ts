import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../cli/exit-codes.js';
import { SETTING_NAMES, type SettingName } from '../../cli/settings.js';
import { freePort } from '../ops/support.js';
import { cli, packageDir, setEnv, tempDir } from './helpers.js';
import { commandLinesOnTakenPort, settingsOf } from './fixtures/commands.js';

let temp: { dir: string; remove(): Promise<void> };
let closePort: () => Promise<void>;
let lines: Record<string, string[]>;
let aFile: string;

beforeAll(async () => {
  temp = await tempDir('omnibase-settings-');
  aFile = join(temp.dir, 'a-file');
  await writeFile(aFile, 'not a folder');
  ({ lines, close: closePort } = await commandLinesOnTakenPort(temp.dir));
});

afterAll(async () => {
  await closePort?.();
  await temp?.remove();
});

/** A value each setting's reader cannot use; typed over every setting, so a new one needs a line here. */
const BAD: Record<SettingName, () => string> = {
  DATABASE_URL: () => 'mysql://db.example.org/registry',
  OMNIBASE_DATA_DIR: () => aFile,
  OMNIBASE_CONFIG_DIR: () => aFile,
  OMNIBASE_CACHE_DIR: () => aFile,
  OMNIBASE_URL: () => 'ftp://registry.example.org/graphql',
  OMNIBASE_TOKEN: () => 'omni_abc secret',
  OMNIBASE_CACHE_TTL: () => 'forever',
  OMNIBASE_REQUEST_TIMEOUT: () => '0s',
  OMNIBASE_LOG_LEVEL: () => 'verbose',
  OMNIBASE_LOG_FORMAT: () => 'xml',
  OMNIBASE_INTROSPECTION: () => 'maybe',
  OMNIBASE_ANONYMOUS_CAPABILITIES: () => 'ADMIN',
  OMNIBASE_RESPONSE_CACHE_ENTRIES: () => 'lots',
  OMNIBASE_SHUTDOWN_TIMEOUT_MS: () => 'soon',
};

/** The line each bad value gets: the variable, and what it accepts. */
const MESSAGE: Record<SettingName, string | RegExp> = {
  DATABASE_URL: 'DATABASE_URL must be a postgresql:// URL; unset it to use the embedded database (got "mysql:…")',
  OMNIBASE_DATA_DIR: /^OMNIBASE_DATA_DIR must be a folder \(a path to a directory, created when missing\) \(got ".*a-file", which is a file\)$/,
  OMNIBASE_CONFIG_DIR: /^OMNIBASE_CONFIG_DIR must be a folder/,
  OMNIBASE_CACHE_DIR: /^OMNIBASE_CACHE_DIR must be a folder/,
  OMNIBASE_URL: 'OMNIBASE_URL must be an http:// or https:// URL, such as http://127.0.0.1:4000/graphql (got "ftp://registry.example.org/graphql")',
  OMNIBASE_TOKEN:
    'OMNIBASE_TOKEN must be a bearer token as `omnibase token create` prints it: letters, digits and -._~+/ only (got a value with other characters, not shown)',
  OMNIBASE_CACHE_TTL: 'OMNIBASE_CACHE_TTL must be a duration such as 30s, 10m, 2h or 1d (got "forever")',
  OMNIBASE_REQUEST_TIMEOUT: 'OMNIBASE_REQUEST_TIMEOUT must be a duration such as 30s, 10m, 2h or 1d, more than 0 (got "0s")',
  OMNIBASE_LOG_LEVEL: 'OMNIBASE_LOG_LEVEL must be one of silent, fatal, error, warn, info, debug, trace (got "verbose")',
  OMNIBASE_LOG_FORMAT: 'OMNIBASE_LOG_FORMAT must be one of json, pretty (got "xml")',
  OMNIBASE_INTROSPECTION: 'OMNIBASE_INTROSPECTION must be on or off (got "maybe")',
  OMNIBASE_ANONYMOUS_CAPABILITIES: 'OMNIBASE_ANONYMOUS_CAPABILITIES names unknown capabilities (ADMIN); use REGISTRY_READ, REGISTRY_WRITE or none',
  OMNIBASE_RESPONSE_CACHE_ENTRIES: 'OMNIBASE_RESPONSE_CACHE_ENTRIES must be a whole number of entries, 0 to turn the cache off (got "lots")',
  OMNIBASE_SHUTDOWN_TIMEOUT_MS: 'OMNIBASE_SHUTDOWN_TIMEOUT_MS must be a whole number of milliseconds, e.g. 10000 (got "soon")',
};

describe('a bad value of any setting', () => {
  it.each(SETTING_NAMES)('%s: every command that reads it exits 2 with one line naming it, before a database is opened', async (name) => {
    const readers = Object.entries(lines).filter(([, argv]) => settingsOf(argv).includes(name));
    expect(readers.length, `no command reads ${name}`).toBeGreaterThan(0);
    for (const [path, argv] of readers) {
      // Where the embedded database would be: it must still not exist afterwards.
      const dataDir = join(temp.dir, `never-${name}`);
      const restore = setEnv({
        DATABASE_URL: undefined,
        OMNIBASE_DATA_DIR: dataDir,
        OMNIBASE_URL: `http://127.0.0.1:${await freePort()}/graphql`,
        [name]: BAD[name](),
      });
      try {
        const result = await cli(...argv);
        expect(result.code, path).toBe(ExitCode.InvalidInput);
        expect(result.stdout, path).toBe('');
        const [line, ...rest] = result.stderr.split('\n');
        expect(rest, path).toEqual(['']);
        const expected = MESSAGE[name];
        if (typeof expected === 'string') expect(line, path).toBe(`error: ${expected}`);
        else expect(line!.replace(/^error: /, ''), path).toMatch(expected);
        expect(existsSync(dataDir), `${path} opened the database`).toBe(false);
      } finally {
        restore();
      }
    }
  });

  it('accepts the documented good values', async () => {
    const restore = setEnv({ OMNIBASE_CACHE_TTL: '90', OMNIBASE_REQUEST_TIMEOUT: '2m', OMNIBASE_CACHE_DIR: join(temp.dir, 'cache'), OMNIBASE_TOKEN: 'omni_0123456789ab_abc-DEF_ghi' });
    try {
      expect(await cli('registry', 'cache', 'stats')).toMatchObject({ code: ExitCode.Ok, stderr: '' });
    } finally {
      restore();
    }
  });
});

it('the README lists every setting in its configuration table', async () => {
  const readme = await readFile(join(packageDir, 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1));
  for (const name of SETTING_NAMES) expect(table, name).toContain(`| \`${name}\` |`);
});
