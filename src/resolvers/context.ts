import type { Database } from '../db/database.js';
import type { WriteTiming } from './write.js';

/** What every registry operation needs: the store, and who is acting (recorded in history). */
export type RegistryContext = Readonly<{
  db: Database;
  actor: string | null;
  /** Told where each commit's time went, e.g. to feed a metric. */
  recordWrite?: (timing: WriteTiming) => void;
}>;
