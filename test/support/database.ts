import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database, type OpenDatabaseOptions } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import type { DatabaseTarget } from '../../src/db/target.js';

export const testEngine = process.env.OMNIBASE_TEST_ENGINE === 'postgres' ? 'postgres' : 'pglite';

export interface TestDatabase {
  readonly target: DatabaseTarget;
  /** Drops what fresh() created. */
  dispose(): Promise<void>;
}

/** A new, empty database on the engine under test: in-memory PGlite, or a throwaway PostgreSQL database. */
export async function freshTarget(): Promise<TestDatabase> {
  if (testEngine === 'pglite') return { target: { engine: 'pglite', dataDir: undefined }, dispose: async () => {} };
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('the postgres test project needs TEST_DATABASE_URL');
  const name = `omnibase_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    target: { engine: 'postgres', url: url.toString() },
    async dispose() {
      const cleanup = new pg.Client({ connectionString: adminUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}

export interface MigratedDatabase {
  readonly db: Database;
  readonly target: DatabaseTarget;
  /** Empties every registry table, keeping the schema. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** A fresh database with every migration applied. */
export async function migratedDatabase(options: OpenDatabaseOptions = {}): Promise<MigratedDatabase> {
  const fresh = await freshTarget();
  const db = await openDatabase(fresh.target, { poolSize: 20, ...options });
  await migrate(db);
  return {
    db,
    target: fresh.target,
    reset: () =>
      db.withSession((session) =>
        session.exec('TRUNCATE components, component_revisions, changes RESTART IDENTITY CASCADE'),
      ),
    async close() {
      await db.close();
      await fresh.dispose();
    },
  };
}
