import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirInUseError, lockDataDir } from '../../src/db/data-dir-lock.js';
import { openDatabase } from '../../src/db/database.js';
import { tempDir } from '../cli/helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function dataDir(): Promise<string> {
  const temp = await tempDir('omnibase-lock-');
  cleanups.push(temp.remove);
  return temp.dir;
}

describe.runIf(process.env.OMNIBASE_TEST_ENGINE !== 'postgres')('the embedded database folder', () => {
  it('is open in one place at a time, and free again once closed', async () => {
    const dir = await dataDir();
    const db = await openDatabase({ engine: 'pglite', dataDir: dir });
    await expect(openDatabase({ engine: 'pglite', dataDir: dir })).rejects.toThrow(
      new DataDirInUseError(`the embedded database at ${dir} is already open in this process`),
    );
    await db.close();
    expect(existsSync(join(dir, 'omnibase.pid'))).toBe(false);
    const again = await openDatabase({ engine: 'pglite', dataDir: dir });
    await again.close();
  });

  it('names the live process that holds it, and takes over from one that died', async () => {
    const dir = await dataDir();
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
    cleanups.push(() => void holder.kill());
    writeFileSync(join(dir, 'omnibase.pid'), `${holder.pid}\n`);
    expect(() => lockDataDir(dir)).toThrow(`the embedded database at ${dir} is in use by process ${holder.pid} (a running \`omnibase serve\`?)`);

    const exited = once(holder, 'exit');
    holder.kill();
    await exited;
    const release = lockDataDir(dir);
    release();
    release();
    expect(existsSync(join(dir, 'omnibase.pid'))).toBe(false);
  });
});
