import { stat, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymousCapabilities, AuthConfigError, isLoopback, tokenAuthorizer } from '../../src/auth/authorizer.js';
import { AuthenticationError } from '../../src/auth/errors.js';
import { credentialsPath, findLocalToken, readLocalCredentials, saveLocalCredential } from '../../src/auth/local-credential.js';
import { ensureLocalCredential } from '../../src/auth/local-token.js';
import { createToken, listTokens, revokeToken, verifyToken } from '../../src/auth/tokens.js';
import { BadUserInputError, NotFoundError } from '../../src/resolvers/errors.js';
import { tempDir } from '../cli/helpers.js';
import { migratedDatabase, type MigratedDatabase } from '../support/database.js';

let database: MigratedDatabase;
beforeAll(async () => {
  database = await migratedDatabase();
});
afterAll(() => database.close());

const bearer = (token: string) => new Request('http://registry.test/graphql', { headers: { authorization: `Bearer ${token}` } });

describe('tokens', () => {
  it('are shown once and stored only as a hash of the secret', async () => {
    const { token, record } = await createToken(database.db, { name: '  ci  ', capabilities: ['REGISTRY_READ', 'REGISTRY_READ'] });
    expect(token).toMatch(/^omni_[0-9a-f]{12}_[\w-]{43}$/);
    expect(record).toMatchObject({ name: 'ci', capabilities: ['REGISTRY_READ'], lastUsedAt: null, revokedAt: null });
    expect(token.slice(5, 17)).toBe(record.id);
    const rows = await database.db.query<Record<string, unknown>>('SELECT * FROM api_tokens WHERE id = $1', [record.id]);
    expect(JSON.stringify(rows)).not.toContain(token.slice(18));
    expect(await verifyToken(database.db, token)).toEqual(record);
  });

  it('are refused when malformed, unknown, guessed or revoked, each saying so', async () => {
    const { token, record } = await createToken(database.db, { name: 'to-revoke', capabilities: ['REGISTRY_WRITE'] });
    await expect(verifyToken(database.db, 'not-a-token')).rejects.toThrow(new AuthenticationError('the bearer token is malformed: tokens look like omni_<id>_<secret>'));
    await expect(verifyToken(database.db, `omni_000000000000_${token.slice(18)}`)).rejects.toThrow('not known to this registry');
    const guessed = `${token.slice(0, 18)}${token.at(18) === 'A' ? 'B' : 'A'}${token.slice(19)}`;
    await expect(verifyToken(database.db, guessed)).rejects.toThrow('not known to this registry');
    const revoked = await revokeToken(database.db, record.id);
    expect(revoked.revokedAt).toBeInstanceOf(Date);
    await expect(verifyToken(database.db, token)).rejects.toThrow('the bearer token "to-revoke" was revoked');
    // Revoking again keeps the first time.
    expect((await revokeToken(database.db, record.id)).revokedAt).toEqual(revoked.revokedAt);
    await expect(revokeToken(database.db, 'ffffffffffff')).rejects.toThrow(NotFoundError);
  });

  it('need a name and known capabilities', async () => {
    await expect(createToken(database.db, { name: ' ', capabilities: ['REGISTRY_READ'] })).rejects.toThrow(BadUserInputError);
    await expect(createToken(database.db, { name: 'x'.repeat(101), capabilities: ['REGISTRY_READ'] })).rejects.toThrow(
      'a token name must have 1 to 100 characters (got 101)',
    );
    await expect(createToken(database.db, { name: 'x', capabilities: ['ADMIN'] })).rejects.toThrow(
      'unknown capability "ADMIN"; choose from REGISTRY_READ, REGISTRY_WRITE',
    );
    await expect(createToken(database.db, { name: 'x', capabilities: [] })).rejects.toThrow('no capability given');
  });

  it('are listed oldest first, without secrets', async () => {
    const names = (await listTokens(database.db)).map((record) => record.name);
    expect(names.slice(0, 2)).toEqual(['ci', 'to-revoke']);
  });
});

describe('the token authorizer', () => {
  it('treats a request without a token as anonymous, with what it is granted', async () => {
    const authorizer = tokenAuthorizer({ db: database.db, anonymous: new Set(['REGISTRY_READ']) });
    const principal = await authorizer.authenticate(new Request('http://registry.test/graphql'));
    expect(principal).toMatchObject({ id: 'anonymous', anonymous: true });
    expect(authorizer.allows(principal, 'REGISTRY_READ')).toBe(true);
    expect(authorizer.allows(principal, 'REGISTRY_WRITE')).toBe(false);
  });

  it('accepts a valid bearer token, notes its use at most once per interval, and refuses other schemes', async () => {
    const { token, record } = await createToken(database.db, { name: 'reader', capabilities: ['REGISTRY_READ'] });
    const authorizer = tokenAuthorizer({ db: database.db, anonymous: new Set(), touchIntervalMs: 3_600_000 });
    const principal = await authorizer.authenticate(bearer(token));
    expect(principal).toEqual({ id: `token:${record.id}`, name: 'reader', anonymous: false, capabilities: new Set(['REGISTRY_READ']) });
    const firstUse = (await listTokens(database.db)).find((t) => t.id === record.id)!.lastUsedAt;
    expect(firstUse).toBeInstanceOf(Date);
    await authorizer.authenticate(bearer(token));
    expect((await listTokens(database.db)).find((t) => t.id === record.id)!.lastUsedAt).toEqual(firstUse);
    const basic = new Request('http://registry.test/graphql', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    await expect(authorizer.authenticate(basic)).rejects.toThrow('the Authorization header must be "Bearer <token>"');
  });
});

describe('what requests without a token may do', () => {
  it('is reading on loopback and nothing beyond it, unless configured', () => {
    expect([...anonymousCapabilities('127.0.0.1', {})]).toEqual(['REGISTRY_READ']);
    expect([...anonymousCapabilities('::1', {})]).toEqual(['REGISTRY_READ']);
    expect([...anonymousCapabilities('0.0.0.0', {})]).toEqual([]);
    expect([...anonymousCapabilities('127.0.0.1', { OMNIBASE_ANONYMOUS_CAPABILITIES: 'none' })]).toEqual([]);
    expect([...anonymousCapabilities('0.0.0.0', { OMNIBASE_ANONYMOUS_CAPABILITIES: 'registry_read' })]).toEqual(['REGISTRY_READ']);
    expect([...anonymousCapabilities('localhost', { OMNIBASE_ANONYMOUS_CAPABILITIES: 'REGISTRY_READ, REGISTRY_WRITE' })]).toEqual([
      'REGISTRY_READ',
      'REGISTRY_WRITE',
    ]);
    expect(isLoopback('127.8.9.10')).toBe(true);
    expect(isLoopback('10.0.0.1')).toBe(false);
  });

  it('never includes writing beyond loopback, and names unknown capabilities', () => {
    expect(() => anonymousCapabilities('0.0.0.0', { OMNIBASE_ANONYMOUS_CAPABILITIES: 'REGISTRY_WRITE' })).toThrow(
      new AuthConfigError(
        'OMNIBASE_ANONYMOUS_CAPABILITIES grants REGISTRY_WRITE, but the server listens on 0.0.0.0, beyond loopback, where anonymous writes are never accepted; give writers tokens instead',
      ),
    );
    expect(() => anonymousCapabilities('127.0.0.1', { OMNIBASE_ANONYMOUS_CAPABILITIES: 'READ' })).toThrow(
      'OMNIBASE_ANONYMOUS_CAPABILITIES names unknown capabilities (READ); use REGISTRY_READ, REGISTRY_WRITE or none',
    );
  });
});

describe('the local credential', () => {
  it('is written once for an endpoint, readable only by its owner, and found under any loopback name', async () => {
    const config = await tempDir('omnibase-config-');
    const env = { OMNIBASE_CONFIG_DIR: config.dir };
    try {
      const first = await ensureLocalCredential(database.db, 'http://127.0.0.1:4123/graphql', env);
      expect(first.created).toBe(true);
      expect((await stat(credentialsPath(env))).mode & 0o777).toBe(0o600);
      expect(await ensureLocalCredential(database.db, 'http://127.0.0.1:4123/graphql', env)).toEqual({ tokenId: first.tokenId, created: false });
      const token = await findLocalToken('http://localhost:4123/graphql/', env);
      expect((await verifyToken(database.db, token!)).capabilities).toEqual(['REGISTRY_READ', 'REGISTRY_WRITE']);
      expect(await findLocalToken('http://127.0.0.1:9999/graphql', env)).toBeUndefined();
      expect(await findLocalToken('not a url', env)).toBeUndefined();

      // Revoked: the next start mints a new one and replaces the entry, keeping other endpoints' entries.
      await saveLocalCredential({ url: 'http://127.0.0.1:5000/graphql', tokenId: 'x', token: 'omni_other', createdAt: '2026-01-01T00:00:00Z' }, env);
      await revokeToken(database.db, first.tokenId);
      const second = await ensureLocalCredential(database.db, 'http://127.0.0.1:4123/graphql', env);
      expect(second.created).toBe(true);
      expect((await readLocalCredentials(env)).map((entry) => entry.url).sort()).toEqual([
        'http://127.0.0.1:4123/graphql',
        'http://127.0.0.1:5000/graphql',
      ]);
    } finally {
      await config.remove();
    }
  });

  it('is replaced, not trusted, when the file is damaged', async () => {
    const config = await tempDir('omnibase-config-');
    const env = { OMNIBASE_CONFIG_DIR: config.dir };
    try {
      expect(await readLocalCredentials(env)).toEqual([]);
      await writeFile(credentialsPath(env), '{ not json');
      expect(await readLocalCredentials(env)).toEqual([]);
      expect((await ensureLocalCredential(database.db, 'http://127.0.0.1:4124/graphql', env)).created).toBe(true);
      expect(await findLocalToken('http://127.0.0.1:4124/graphql', env)).toMatch(/^omni_/);
    } finally {
      await config.remove();
    }
  });
});
