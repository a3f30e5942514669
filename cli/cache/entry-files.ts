import { EventEmitter } from 'node:events';
import { mkdir, readdir, readFile, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyvStoreAdapter, StoredData } from 'keyv';

const SUFFIX = '.json';

/** What a store reports about an entry file it could not read; the entry then counts as absent. */
export type UnreadableEntry = (file: string, reason: string) => void;

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * A Keyv store keeping each entry in a file of its own in one folder, written beside its place and renamed
 * into it. Processes sharing the folder never lose each other's entries (a write touches one entry's file,
 * nothing else) and never read half an entry (a rename is atomic); a process killed mid-write leaves at most
 * a temporary file (`<entry>.json.<n>`), which is not an entry and is never read. Files are not fsynced: an
 * entry lost to a power cut is one the registry gives again, and syncing thousands of entries one fsync
 * each would take seconds.
 */
export class EntryFileStore extends EventEmitter implements KeyvStoreAdapter {
  readonly opts: { readonly dir: string };
  namespace?: string | undefined;

  constructor(
    readonly dir: string,
    private readonly onUnreadable: UnreadableEntry,
  ) {
    super();
    this.opts = { dir };
  }

  /** Keys become file names: encodeURIComponent keeps them on one level and readable (`omnibase%3Acomponent%3A…`). */
  private file(key: string): string {
    return join(this.dir, `${encodeURIComponent(key)}${SUFFIX}`);
  }

  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    const file = this.file(key);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    try {
      return JSON.parse(text) as StoredData<Value>;
    } catch (error) {
      // Renames are atomic, so this is a file damaged from outside (a disk fault, an edit): that entry alone goes.
      this.onUnreadable(file, (error as Error).message);
      await unlink(file).catch(() => {});
      return undefined;
    }
  }

  async getMany<Value>(keys: string[]): Promise<Array<StoredData<Value | undefined>>> {
    return Promise.all(keys.map((key) => this.get<Value>(key)));
  }

  async has(key: string): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }

  async set(key: string, value: unknown): Promise<void> {
    const file = this.file(key);
    const text = JSON.stringify(value);
    // Loaded on the first write: a read answered from the cache never pays for it.
    const { default: writeFileAtomic } = await import('write-file-atomic');
    try {
      await writeFileAtomic(file, text, { fsync: false });
    } catch (error) {
      if (!isMissing(error)) throw error;
      await mkdir(this.dir, { recursive: true });
      await writeFileAtomic(file, text, { fsync: false });
    }
  }

  async delete(key: string): Promise<boolean> {
    try {
      await unlink(this.file(key));
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  async deleteMany(keys: string[]): Promise<boolean> {
    const deleted = await Promise.all(keys.map((key) => this.delete(key)));
    return deleted.every(Boolean);
  }

  /** Every entry, and the temporary files of writes that never finished. */
  async clear(): Promise<void> {
    const names = await this.fileNames();
    await Promise.all(names.filter((name) => name.includes(SUFFIX)).map((name) => rm(join(this.dir, name), { force: true })));
  }

  /**
   * The keys stored, in no particular order, optionally only those that start and end as given: one directory
   * listing, no entry read. The match runs on the file names, so only the keys returned are decoded.
   */
  async keys({ prefix = '', suffix = '' }: { prefix?: string; suffix?: string } = {}): Promise<string[]> {
    const [start, end] = [encodeURIComponent(prefix), `${encodeURIComponent(suffix)}${SUFFIX}`];
    const names = await this.fileNames();
    return names.filter((name) => name.startsWith(start) && name.endsWith(end)).map((name) => decodeURIComponent(name.slice(0, -SUFFIX.length)));
  }

  private async fileNames(): Promise<string[]> {
    try {
      return await readdir(this.dir);
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
  }

  async disconnect(): Promise<void> {}
}
