import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** The embedded database's folder is open in another process (or already in this one). */
export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
  readonly code = 'EDATADIRINUSE';
}

const held = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Claims the embedded database's folder for this process. PGlite has no lock of its own, and two processes
 * writing one data directory corrupt it, so a second `omnibase` (a `token create` beside a running
 * `serve`, say) is refused with the holder's pid. A lock left by a process that died is taken over.
 * Returns the release function.
 */
export function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, 'omnibase.pid');
  if (held.has(path)) throw new DataDirInUseError(`the embedded database at ${dataDir} is already open in this process`);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
      const holder = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isInteger(holder) && holder !== process.pid && alive(holder)) {
        throw new DataDirInUseError(
          `the embedded database at ${dataDir} is in use by process ${holder} (a running \`omnibase serve\`?); ` +
            'stop it first, or point DATABASE_URL at a PostgreSQL server that several processes can share',
        );
      }
      unlinkSync(path); // left by a process that is gone
    }
  }
  held.add(path);
  let released = false;
  return () => {
    // Once only: a second release must not remove a lock another process has taken since.
    if (released) return;
    released = true;
    held.delete(path);
    try {
      unlinkSync(path);
    } catch {
      // Already gone: nothing to release.
    }
  };
}
