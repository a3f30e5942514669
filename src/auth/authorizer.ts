import { LRUCache } from 'lru-cache';
import type { RegistryHead } from '../cache/registry-head.js';
import type { Database } from '../db/database.js';
import { AuthenticationError } from './errors.js';
import { CAPABILITIES, isCapability, type Capability, type Principal } from './principal.js';
import { touchToken, verifyToken, type TokenRecord } from './tokens.js';

/**
 * The hook the server takes at start-up: who a request is, and whether that principal holds a capability.
 * The token authorizer below is the built-in one; another (say, one that trusts a gateway's headers)
 * can replace it without touching the schema.
 */
export interface Authorizer {
  /** The request's principal; throws AuthenticationError when it presents a credential that is not valid. */
  authenticate(request: Request): Promise<Principal>;
  allows(principal: Principal, capability: Capability): boolean;
}

export class AuthConfigError extends Error {
  override readonly name = 'AuthConfigError';
}

const LOOPBACK = /^(127(?:\.\d{1,3}){3}|::1|\[::1\]|localhost)$/i;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

/**
 * What a request without a token may do. OMNIBASE_ANONYMOUS_CAPABILITIES (a comma list, or `none`)
 * decides; unset, it is REGISTRY_READ on loopback and nothing beyond. Anonymous writes are refused on any
 * address other than loopback, whatever the setting.
 */
export function anonymousCapabilities(host: string, env: NodeJS.ProcessEnv = process.env): ReadonlySet<Capability> {
  const setting = env.OMNIBASE_ANONYMOUS_CAPABILITIES?.trim();
  if (!setting) return new Set<Capability>(isLoopback(host) ? ['REGISTRY_READ'] : []);
  if (setting.toLowerCase() === 'none') return new Set();
  const names = setting.split(',').map((name) => name.trim().toUpperCase()).filter(Boolean);
  const unknown = names.filter((name) => !isCapability(name));
  if (unknown.length) {
    throw new AuthConfigError(
      `OMNIBASE_ANONYMOUS_CAPABILITIES names unknown capabilities (${unknown.join(', ')}); use ${CAPABILITIES.join(', ')} or none`,
    );
  }
  const capabilities = new Set(names.filter(isCapability));
  if (capabilities.has('REGISTRY_WRITE') && !isLoopback(host)) {
    throw new AuthConfigError(
      `OMNIBASE_ANONYMOUS_CAPABILITIES grants REGISTRY_WRITE, but the server listens on ${host}, beyond loopback, ` +
        'where anonymous writes are never accepted; give writers tokens instead',
    );
  }
  return capabilities;
}

export interface TokenAuthorizerOptions {
  readonly db: Database;
  readonly anonymous: ReadonlySet<Capability>;
  /** How often a token's last-used time is written, at most; it is a write, so not on every request. */
  readonly touchIntervalMs?: number;
  /**
   * With a head, tokens verified once are remembered by this instance, and the head (read once per request,
   * after it arrived) tells of every revocation on any instance before the request is answered. Without
   * one, every request reads its token.
   */
  readonly head?: RegistryHead;
}

/** Verified tokens an instance remembers at most; the least recently used are verified again. */
const REMEMBERED_TOKENS = 10_000;

const BEARER = /^Bearer[ ]+(\S+)\s*$/i;

/** Bearer tokens from the registry's own table (src/auth/tokens.ts). */
export function tokenAuthorizer({ db, anonymous, touchIntervalMs = 60_000, head }: TokenAuthorizerOptions): Authorizer {
  const anonymousPrincipal: Principal = { id: 'anonymous', name: 'anonymous', anonymous: true, capabilities: anonymous };
  const touchedAt = new Map<string, number>();
  const verified = new LRUCache<string, TokenRecord>({ max: REMEMBERED_TOKENS });
  head?.subscribe(({ revokedTokens }) => {
    if (!revokedTokens) return;
    const revoked = new Set(revokedTokens);
    for (const [token, record] of verified.entries()) if (revoked.has(record.id)) verified.delete(token);
  });
  const recordOf = async (token: string, request: Request) => {
    if (!head) return verifyToken(db, token);
    await head.current(request);
    let record = verified.get(token);
    if (!record) {
      record = await verifyToken(db, token);
      verified.set(token, record);
    }
    return record;
  };
  return {
    async authenticate(request) {
      const header = request.headers.get('authorization');
      if (header === null) return anonymousPrincipal;
      const token = BEARER.exec(header)?.[1];
      if (!token) throw new AuthenticationError('the Authorization header must be "Bearer <token>"');
      const record = await recordOf(token, request);
      const now = Date.now();
      if (now - (touchedAt.get(record.id) ?? -Infinity) >= touchIntervalMs) {
        touchedAt.set(record.id, now);
        await touchToken(db, record.id);
      }
      return { id: `token:${record.id}`, name: record.name, anonymous: false, capabilities: new Set(record.capabilities) };
    },
    allows: (principal, capability) => principal.capabilities.has(capability),
  };
}
