import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseHead, postgresHead, type HeadDelta, type RegistryHead } from '../../src/cache/registry-head.js';
import { createToken, revokeToken } from '../../src/auth/tokens.js';
import { migratedDatabase, testEngine, type MigratedDatabase } from '../support/database.js';
import { metadata } from '../support/registry.js';
import { registerComponent } from '../../src/resolvers/register.js';

let database: MigratedDatabase;
let head: RegistryHead;
const deltas: HeadDelta[] = [];

beforeAll(async () => {
  database = await migratedDatabase();
  head = testEngine === 'postgres' && database.target.engine === 'postgres' ? postgresHead(database.target.url) : databaseHead(database.db);
  head.subscribe((delta) => deltas.push(delta));
});
afterAll(async () => {
  await head?.close();
  await database?.close();
});

const register = () => registerComponent({ db: database.db, actor: null }, metadata({ name: `w-${randomUUID()}` }));

describe(`the registry head (${testEngine})`, () => {
  it('moves with every committed write and only then', async () => {
    const before = await head.current();
    expect(await head.current()).toBe(before);
    await register();
    const after = await head.current();
    expect(after).not.toBe(before);
    expect(await head.current()).toBe(after);
  });

  it('tells its listeners what was written since it was last read, with names, before anyone sees the new head', async () => {
    await head.current();
    deltas.length = 0;
    const first = await register();
    const second = await register();
    let heardFirst = false;
    head.subscribe(() => (heardFirst = true));
    const seen = head.current();
    expect(heardFirst).toBe(false);
    await seen;
    expect(heardFirst).toBe(true);
    expect(deltas).toEqual([
      {
        reset: false,
        revokedTokens: null,
        written: [first, second].map(({ component }) => ({ uuid: component.uuid, name: component.name })),
      },
    ]);
  });

  it('gives one request one answer, however often it asks', async () => {
    const request = {};
    const before = await head.current(request);
    await register();
    expect(await head.current(request)).toBe(before);
    expect(await head.current({})).not.toBe(before);
  });

  it('moves with every revocation and lists the revoked tokens', async () => {
    const { record } = await createToken(database.db, { name: 'short-lived', capabilities: ['REGISTRY_READ'] });
    const before = await head.current();
    deltas.length = 0;
    await revokeToken(database.db, record.id);
    expect(await head.current()).not.toBe(before);
    expect(deltas.at(-1)!.revokedTokens).toContain(record.id);
  });

  it('tells its listeners to forget everything when the feed is replaced', async () => {
    await register();
    await head.current();
    deltas.length = 0;
    await database.reset();
    await register();
    await head.current();
    expect(deltas).toEqual([{ reset: true, written: [], revokedTokens: null }]);
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
    const closing = postgresHead((database.target as { url: string }).url);
    await closing.current();
    await closing.close();
    await expect(closing.current()).rejects.toThrow('the registry head is closed');
  });
});
