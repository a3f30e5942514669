import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// The suite always runs on the embedded PGlite; with TEST_DATABASE_URL (a PostgreSQL the tests may create
// databases on) every database test runs a second time on PostgreSQL, in its own throwaway database.
const postgresUrl = process.env.TEST_DATABASE_URL;
if (!postgresUrl) {
  console.warn(
    'TEST_DATABASE_URL is not set: the PostgreSQL run is skipped (needs a PostgreSQL server, e.g. ' +
      'TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test npm test).',
  );
}

// No test may touch the user's own config, cache or data: where a test names no folder, the XDG defaults
// point into the temp dir (the local credential, the CLI cache and the embedded database live there).
const testHome = join(tmpdir(), 'omnibase-test-home');
const isolatedHome = {
  XDG_CONFIG_HOME: join(testHome, 'config'),
  XDG_CACHE_HOME: join(testHome, 'cache'),
  XDG_DATA_HOME: join(testHome, 'data'),
};

const databaseTests = ['test/**/*.test.ts'];
// Files whose tests do not depend on the engine under test (they run once, in the pglite project), and
// files that only mean something on PostgreSQL (they run in the postgres project when there is one).
const engineFreeTests = [
  'test/metadata/**',
  'test/ops/manifests.test.ts',
  'test/ops/database-loss.test.ts',
  'test/db/data-dir-lock.test.ts',
];
const postgresOnlyTests = ['test/cache/cross-instance.test.ts'];

export default defineConfig({
  resolve: {
    // graphql 16 names an ESM build only in "module", which Node never reads: in production every import of
    // graphql loads the CommonJS build. Tests must load that same copy, or the schema's directive and the
    // libraries' graphql classes would come from two different modules.
    alias: [{ find: /^graphql$/, replacement: createRequire(import.meta.url).resolve('graphql') }],
  },
  test: {
    testTimeout: 60_000,
    // clipanion's ESM build imports a directory, which Node's loader refuses; inlined, it loads as in production.
    server: { deps: { inline: ['clipanion'] } },
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest/results.json' },
    hookTimeout: 120_000,
    projects: [
      {
        extends: true as const,
        test: {
          name: 'pglite',
          include: databaseTests,
          // Without a PostgreSQL project they stay here, to say what they need and skip.
          exclude: postgresUrl ? postgresOnlyTests : [],
          env: { ...isolatedHome, OMNIBASE_TEST_ENGINE: 'pglite' },
        },
      },
      ...(postgresUrl
        ? [
            {
              extends: true as const,
              test: {
                name: 'postgres',
                include: databaseTests,
                exclude: engineFreeTests,
                env: { ...isolatedHome, OMNIBASE_TEST_ENGINE: 'postgres' },
              },
            },
          ]
        : []),
    ],
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts', 'cli/**/*.ts'],
      exclude: ['src/generated/**', 'cli/main.ts', 'test/**'],
      reporter: ['text-summary', 'text'],
      thresholds: { lines: 90 },
    },
  },
});
