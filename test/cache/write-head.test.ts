import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseWriteHead, postgresWriteHead, type WriteHead } from '../../src/cache/write-head.js';
import { migratedDatabase, testEngine, type MigratedDatabase } from '../support/database.js';
import { metadata } from '../support/registry.js';
import { registerComponent } from '../../src/resolvers/register.js';

let database: MigratedDatabase;
let head: WriteHead;

beforeAll(async () => {
  database = await migratedDatabase();
  head = testEngine === 'postgres' && database.target.engine === 'postgres' ? postgresWriteHead(database.target.url) : databaseWriteHead(database.db);
});
afterAll(async () => {
  await head?.close();
  await database?.close();
});

const register = () => registerComponent({ db: database.db, actor: null }, metadata({ name: `w-${randomUUID()}` }));

describe(`the write head (${testEngine})`, () => {
  it('moves with every committed write and only then', async () => {
    const before = await head.current();
    expect(await head.current()).toBe(before);
    await register();
    const after = await head.current();
    expect(after).not.toBe(before);
    expect(await head.current()).toBe(after);
  });

  it('answers callers arriving together with one read sent after the last of them arrived', async () => {
    const before = await head.current();
    const early = head.current();
    // Arrives while the first read is on its way, before the write commits.
    const write = register();
    const late = Promise.all(Array.from({ length: 20 }, () => head.current()));
    await write;
    const last = head.current();
    expect(await early).toBeTypeOf('string');
    const lates = await late;
    expect(new Set(lates).size).toBe(1);
    // A read asked for after the write was acknowledged always counts it.
    expect(await last).not.toBe(before);
  });

  it.runIf(testEngine === 'postgres')('reconnects after its connection is cut, failing only the read that was cut', async () => {
    const before = await head.current();
    const [cut] = await database.db.query<{ cut: number }>(
      `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS cut FROM pg_stat_activity
        WHERE datname = current_database() AND query LIKE '%pg_relation_filenode%' AND pid <> pg_backend_pid()`,
    );
    expect(cut!.cut).toBe(1);
    // The cut may be noticed by the next read or the one after; then the head answers again, unchanged.
    let answer: string | undefined;
    for (let attempt = 0; attempt < 5 && answer === undefined; attempt += 1) answer = await head.current().catch(() => undefined);
    expect(answer).toBe(before);
  });

  it.runIf(testEngine === 'postgres')('refuses to answer once closed', async () => {
    const closing = postgresWriteHead((database.target as { url: string }).url);
    await closing.current();
    await closing.close();
    await expect(closing.current()).rejects.toThrow('the write head is closed');
  });
});
