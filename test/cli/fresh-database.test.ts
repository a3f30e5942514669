import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../cli/exit-codes.js';
import { freePort } from '../ops/support.js';
import { testEngine } from '../support/database.js';
import { cli, cliDatabase, setEnv, tempDir } from './helpers.js';
import { commandLinesOnTakenPort } from './fixtures/commands.js';

// What a database error looks like when it leaks: PostgreSQL's own wording, or its SQLSTATE.
const RAW_SQL = /relation "|column "|syntax error at|violates|SQLSTATE|does not exist|\b[0-9A-Z]{2}[0-9A-Z]{3}\b: /;

const PENDING = /^error: PostgreSQL at 127\.0\.0\.1:5432\/\w+ has \d+ migration\(s\) not applied \(\d{14}_init.*\); apply them with `omnibase db migrate` \(or start the server with `omnibase serve --migrate`\)\n$/;

/**
 * Each command as a new user meets it: on an embedded data directory that does not exist yet, or on a
 * PostgreSQL database nobody has migrated. The embedded database is migrated by whichever command opens
 * it first; on PostgreSQL the commands that need the tables say which migrations are missing and how to
 * apply them. The registry commands talk to a registry that is not running: they say so.
 */
const EXPECTED: Record<string, { pglite: number; postgres: number; stderr?: RegExp }> = {
  // Its port is taken, so it stops after opening (and, embedded, migrating) the database.
  'omnibase serve': { pglite: ExitCode.Unexpected, postgres: ExitCode.InvalidInput },
  'omnibase db migrate': { pglite: ExitCode.Ok, postgres: ExitCode.Ok },
  'omnibase db status': { pglite: ExitCode.Ok, postgres: ExitCode.Ok },
  'omnibase validate metadata': { pglite: ExitCode.Ok, postgres: ExitCode.Ok },
  'omnibase token create': { pglite: ExitCode.Ok, postgres: ExitCode.InvalidInput },
  'omnibase token list': { pglite: ExitCode.Ok, postgres: ExitCode.InvalidInput },
  'omnibase token revoke': { pglite: ExitCode.NotFound, postgres: ExitCode.InvalidInput },
  'omnibase token local': { pglite: ExitCode.NotFound, postgres: ExitCode.NotFound },
  'omnibase registry add': { pglite: ExitCode.Unreachable, postgres: ExitCode.Unreachable },
  'omnibase registry get': { pglite: ExitCode.Unreachable, postgres: ExitCode.Unreachable },
  'omnibase registry ls': { pglite: ExitCode.Unreachable, postgres: ExitCode.Unreachable },
  'omnibase registry update': { pglite: ExitCode.Unreachable, postgres: ExitCode.Unreachable },
  'omnibase registry graph': { pglite: ExitCode.Unreachable, postgres: ExitCode.Unreachable },
  'omnibase registry history': { pglite: ExitCode.Unreachable, postgres: ExitCode.Unreachable },
  'omnibase registry diff': { pglite: ExitCode.Unreachable, postgres: ExitCode.Unreachable },
  'omnibase registry impact': { pglite: ExitCode.Unreachable, postgres: ExitCode.Unreachable },
  'omnibase registry sync': { pglite: ExitCode.Unreachable, postgres: ExitCode.Unreachable },
  'omnibase registry cache stats': { pglite: ExitCode.Ok, postgres: ExitCode.Ok },
  'omnibase registry cache purge': { pglite: ExitCode.Ok, postgres: ExitCode.Ok },
};

let temp: { dir: string; remove(): Promise<void> };
let closePort: () => Promise<void>;
let lines: Record<string, string[]>;

beforeAll(async () => {
  temp = await tempDir('omnibase-fresh-');
  ({ lines, close: closePort } = await commandLinesOnTakenPort(temp.dir));
});

afterAll(async () => {
  await closePort?.();
  await temp?.remove();
});

describe(`every command on a ${testEngine === 'pglite' ? 'fresh embedded data directory' : 'PostgreSQL database nobody migrated'}`, () => {
  it.each(Object.keys(EXPECTED))('%s: no raw SQL error, and the exit code says what happened', async (path) => {
    const database = await cliDatabase();
    const restore = setEnv({
      ...database.env,
      OMNIBASE_URL: `http://127.0.0.1:${await freePort()}/graphql`,
      OMNIBASE_TOKEN: undefined,
      OMNIBASE_CACHE_DIR: join(temp.dir, 'cache'),
      OMNIBASE_CONFIG_DIR: join(temp.dir, 'config'),
      OMNIBASE_LOG_LEVEL: 'silent',
    });
    try {
      const result = await cli(...lines[path]!);
      expect(result.stderr).not.toMatch(RAW_SQL);
      expect(result.code, result.stderr).toBe(EXPECTED[path]![testEngine]);
      if (testEngine === 'postgres' && result.code === ExitCode.InvalidInput) expect(result.stderr).toMatch(PENDING);
      if (path === 'omnibase token create' && testEngine === 'pglite') expect(result.stdout).toMatch(/^token +omni_[0-9a-f]{12}_/);
    } finally {
      restore();
      await database.dispose();
    }
  });
});
