import type { Database } from '../db/database.js';
import { AuthenticationError } from './errors.js';
import { saveLocalCredential, findLocalToken } from './local-credential.js';
import { CAPABILITIES } from './principal.js';
import { createToken, verifyToken } from './tokens.js';

/**
 * The server's side of the local credential: when it listens on loopback, it makes sure the credentials
 * file holds a working token with every capability for its endpoint, minting one when the file has none,
 * or one this database does not know (another data dir) or has revoked.
 */
export async function ensureLocalCredential(
  db: Database,
  url: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ tokenId: string; created: boolean }> {
  const existing = await findLocalToken(url, env);
  if (existing) {
    try {
      const record = await verifyToken(db, existing);
      if (CAPABILITIES.every((capability) => record.capabilities.includes(capability))) return { tokenId: record.id, created: false };
    } catch (error) {
      if (!(error instanceof AuthenticationError)) throw error;
    }
  }
  const { host } = new URL(url);
  const { token, record } = await createToken(db, { name: `local credential (${host})`, capabilities: [...CAPABILITIES] });
  await saveLocalCredential({ url, tokenId: record.id, token, createdAt: record.createdAt.toISOString() }, env);
  return { tokenId: record.id, created: true };
}
