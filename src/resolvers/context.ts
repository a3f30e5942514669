import type { Database } from '../db/database.js';

/** What every registry operation needs: the store, and who is acting (recorded in history). */
export type RegistryContext = Readonly<{
  db: Database;
  actor: string | null;
}>;
