import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageInputError } from '../../client/errors.js';

const METADATA_FILE = /\.(ya?ml|json)$/i;

/**
 * The files `registry add` reads, in order: a file argument as given, a directory replaced by every .yml,
 * .yaml and .json file below it at any depth, sorted by path so that a run repeats. A path that does not
 * exist is kept, for the reader to report with the other unreadable files. A file named twice is read once.
 */
export async function metadataFiles(args: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const arg of args) {
    const isDirectory = await stat(arg).then(
      (info) => info.isDirectory(),
      () => false,
    );
    if (!isDirectory) {
      files.push(arg);
      continue;
    }
    const entries = await readdir(arg, { recursive: true, withFileTypes: true });
    const found = entries
      .filter((entry) => entry.isFile() && METADATA_FILE.test(entry.name))
      .map((entry) => join(entry.parentPath, entry.name))
      .sort();
    if (!found.length) throw new UsageInputError(`${arg} holds no .yml, .yaml or .json file, at any depth`);
    files.push(...found);
  }
  return [...new Set(files)];
}

export interface ChunkLimits {
  /** Items per chunk at most. */
  readonly count: number;
  /** Bytes per chunk at most, as `size` counts them; an item larger than this goes in a chunk of its own. */
  readonly bytes: number;
}

/** Items in order, cut into consecutive chunks within both limits. */
export function chunked<T>(items: readonly T[], size: (item: T) => number, limits: ChunkLimits): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const itemBytes = size(item);
    if (current.length && (current.length === limits.count || bytes + itemBytes > limits.bytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += itemBytes;
  }
  if (current.length) chunks.push(current);
  return chunks;
}
