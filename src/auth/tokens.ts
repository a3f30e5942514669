import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database } from '../db/database.js';
import { BadUserInputError, NotFoundError } from '../resolvers/errors.js';
import { AuthenticationError } from './errors.js';
import { CAPABILITIES, isCapability, type Capability } from './principal.js';

/** A token as listed: everything but its secret, which is never stored. */
export interface TokenRecord {
  readonly id: string;
  readonly name: string;
  readonly capabilities: readonly Capability[];
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
}

// omni_<12 hex id>_<32 random bytes, base64url>: the prefix makes a leaked token easy to spot and scan for.
const TOKEN_PATTERN = /^omni_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
const NAME_MAX = 100;

function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

interface TokenRow {
  id: string;
  name: string;
  secret_hash: string;
  capabilities: string[];
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

function recordOf(row: TokenRow): TokenRecord {
  return {
    id: row.id,
    name: row.name,
    capabilities: row.capabilities.filter(isCapability),
    createdAt: new Date(row.created_at),
    lastUsedAt: row.last_used_at && new Date(row.last_used_at),
    revokedAt: row.revoked_at && new Date(row.revoked_at),
  };
}

const TOKEN_COLUMNS = 'id, name, secret_hash, capabilities, created_at, last_used_at, revoked_at';

export interface NewToken {
  readonly name: string;
  readonly capabilities: readonly string[];
}

/** Mints a token and stores only the hash of its secret; the token itself is returned this once. */
export async function createToken(db: Database, { name, capabilities }: NewToken): Promise<{ token: string; record: TokenRecord }> {
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > NAME_MAX) {
    throw new BadUserInputError(`a token name must have 1 to ${NAME_MAX} characters (got ${trimmed.length})`, 'name');
  }
  const unknown = capabilities.filter((capability) => !isCapability(capability));
  if (unknown.length || !capabilities.length) {
    throw new BadUserInputError(
      `${unknown.length ? `unknown capability ${unknown.map((c) => `"${c}"`).join(', ')}` : 'no capability given'}; ` +
        `choose from ${CAPABILITIES.join(', ')}`,
      'capability',
    );
  }
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const [row] = await db.query<TokenRow>(
    `INSERT INTO api_tokens (id, name, secret_hash, capabilities) VALUES ($1, $2, $3, $4::text[]) RETURNING ${TOKEN_COLUMNS}`,
    [id, trimmed, hashSecret(secret).toString('hex'), [...new Set(capabilities)]],
  );
  return { token: `omni_${id}_${secret}`, record: recordOf(row!) };
}

export async function listTokens(db: Database): Promise<TokenRecord[]> {
  const rows = await db.query<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM api_tokens ORDER BY created_at, id`);
  return rows.map(recordOf);
}

/** Revokes a token for good; revoking it again keeps the first revocation time. */
export async function revokeToken(db: Database, id: string): Promise<TokenRecord> {
  const [row] = await db.query<TokenRow>(
    `UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING ${TOKEN_COLUMNS}`,
    [id],
  );
  if (!row) throw new NotFoundError(`no token has the id "${id}" (omnibase token list shows them)`);
  return recordOf(row);
}

/**
 * The token's record if the token is genuine and not revoked. It is looked up by its public id, then its
 * secret's hash compared in constant time, so response times say nothing about how much of a guess was right.
 */
export async function verifyToken(db: Database, token: string): Promise<TokenRecord> {
  const match = TOKEN_PATTERN.exec(token);
  if (!match) throw new AuthenticationError('the bearer token is malformed: tokens look like omni_<id>_<secret>');
  const [, id, secret] = match as unknown as [string, string, string];
  const [row] = await db.query<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE id = $1`, [id]);
  const genuine = row !== undefined && timingSafeEqual(Buffer.from(row.secret_hash, 'hex'), hashSecret(secret));
  if (!genuine) throw new AuthenticationError('the bearer token is not known to this registry');
  if (row.revoked_at) throw new AuthenticationError(`the bearer token "${row.name}" was revoked; ask for a new one`);
  return recordOf(row);
}

/** Records that a token was used; callers throttle it, as it is a write. */
export async function touchToken(db: Database, id: string): Promise<void> {
  await db.query(`UPDATE api_tokens SET last_used_at = now() WHERE id = $1`, [id]);
}
