import { stat } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tokenAuthorizer } from '../../src/auth/authorizer.js';
import { credentialsPath, findLocalToken } from '../../src/auth/local-credential.js';
import { createToken, revokeToken } from '../../src/auth/tokens.js';
import { cli, cliDatabase, setEnv, tempDir, type CliDatabase } from '../cli/helpers.js';
import { killChildren, startOmnibase } from '../cli/processes.js';
import { metadata, REGISTER, registryHarness, type RegistryHarness } from '../support/registry.js';

describe('credentials over HTTP', () => {
  let registry: RegistryHarness;
  beforeAll(async () => {
    registry = await registryHarness({ authorizer: (db) => tokenAuthorizer({ db, anonymous: new Set(['REGISTRY_READ']) }) });
  });
  afterAll(() => registry.close());

  const post = (headers: Record<string, string>, query = '{ search { totalCount } }') =>
    registry.yoga.fetch('http://registry.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query }),
    });

  it('that are not valid end the request with 401 before the query is even parsed', async () => {
    const { token, record } = await createToken(registry.db, { name: 'gone', capabilities: ['REGISTRY_READ'] });
    await revokeToken(registry.db, record.id);
    for (const [authorization, message] of [
      ['Bearer nonsense', 'the bearer token is malformed: tokens look like omni_<id>_<secret>'],
      [`Bearer ${token}`, 'the bearer token "gone" was revoked; ask for a new one'],
      ['Token abc', 'the Authorization header must be "Bearer <token>"'],
    ]) {
      const response = await post({ authorization: authorization!, accept: 'application/graphql-response+json' }, '{ not even { valid');
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="omnibase", error="invalid_token"');
      expect(response.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
      expect(await response.json()).toEqual({ errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] });
    }
    expect((await post({ authorization: 'Bearer nonsense', accept: 'application/json' })).headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('name their holder in the history of what they changed', async () => {
    const { token, record } = await createToken(registry.db, { name: 'ci-bot', capabilities: ['REGISTRY_READ', 'REGISTRY_WRITE'] });
    const document = metadata();
    const register = await registry.graphql(REGISTER, { metadata: document }, { authorization: `Bearer ${token}` });
    expect(register.errors).toBeUndefined();
    const read = await registry.graphql(`{ component(uuid: "${document.uuid}") { history { actor } } }`);
    expect(read.data!.component.history).toEqual([{ actor: `ci-bot (token:${record.id})` }]);
    // Without a token this server grants only reading.
    const anonymous = await registry.graphql(REGISTER, { metadata: metadata() });
    expect(anonymous.errors![0]!.extensions).toEqual({ code: 'UNAUTHENTICATED', requiredCapability: 'REGISTRY_WRITE' });
  });
});

describe('omnibase token', () => {
  let database: CliDatabase;
  let restore: () => void;
  beforeAll(async () => {
    database = await cliDatabase();
    restore = setEnv(database.env);
    expect((await cli('db', 'migrate')).code).toBe(0);
  });
  afterAll(async () => {
    restore();
    await database.dispose();
  });

  it('creates a token shown once, lists it without the secret, and revokes it', async () => {
    const created = await cli('token', 'create', '--name', 'ci', '--capability', 'registry_read', '--capability', 'REGISTRY_WRITE', '--output', 'json');
    expect(created.code).toBe(0);
    expect(created.stderr).toContain('shown this once');
    const token = JSON.parse(created.stdout);
    expect(token).toMatchObject({ name: 'ci', capabilities: ['REGISTRY_READ', 'REGISTRY_WRITE'], revokedAt: null, token: expect.stringMatching(/^omni_/) });

    const human = await cli('token', 'list');
    expect(human.stdout).toMatch(new RegExp(`^ID\\s+NAME\\s+CAPABILITIES\\s+CREATED\\s+LAST USED\\s+REVOKED\\n${token.id}\\s+ci\\s+REGISTRY_READ,REGISTRY_WRITE\\s+\\S+Z\\s+-\\s+-\\n$`));
    expect(human.stdout).not.toContain(token.token);

    const revoked = await cli('token', 'revoke', token.id);
    expect(revoked).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`^revoked: ${token.id} \\(ci\\) at \\d{4}-`)) });
    const listed = JSON.parse((await cli('token', 'list', '--output', 'json')).stdout);
    expect(listed).toEqual([expect.objectContaining({ id: token.id, revokedAt: expect.any(String) })]);
    expect(JSON.stringify(listed)).not.toContain(token.token);
  });

  it('names what is wrong with bad input', async () => {
    expect(await cli('token', 'create', '--name', 'x', '--capability', 'ADMIN')).toMatchObject({
      code: 2,
      stderr: 'error: unknown capability "ADMIN"; choose from REGISTRY_READ, REGISTRY_WRITE\n',
    });
    expect((await cli('token', 'create', '--capability', 'REGISTRY_READ')).code).toBe(2);
    expect(await cli('token', 'revoke', 'ffffffffffff')).toMatchObject({
      code: 4,
      stderr: 'error: no token has the id "ffffffffffff" (omnibase token list shows them)\n',
    });
  });
});

describe('omnibase serve', () => {
  afterEach(() => killChildren());

  it('on loopback writes a local credential only its user can read, which writes with', async () => {
    const database = await cliDatabase();
    const config = await tempDir('omnibase-config-');
    try {
      const env = { ...database.env, OMNIBASE_CONFIG_DIR: config.dir };
      const server = startOmnibase(['serve', '--port', '0', '--migrate'], env);
      const url = await server.listening;
      expect(server.logs()).toContainEqual(expect.objectContaining({ msg: 'local credential written', file: credentialsPath(env) }));
      expect((await stat(credentialsPath(env))).mode & 0o777).toBe(0o600);
      const token = await findLocalToken(url, env);
      const restore = setEnv({ OMNIBASE_CONFIG_DIR: config.dir, OMNIBASE_URL: url.replace('127.0.0.1', 'localhost') });
      try {
        expect(await cli('token', 'local')).toEqual({ code: 0, stdout: `${token}\n`, stderr: '' });
        expect(await cli('token', 'local', '--url', 'http://127.0.0.1:1/graphql')).toMatchObject({ code: 4, stderr: expect.stringContaining('holds no credential for http://127.0.0.1:1/graphql') });
        expect(await cli('token', 'local', '--url', 'ftp://x')).toMatchObject({ code: 2 });
      } finally {
        restore();
      }
      const register = (headers: Record<string, string>) =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ query: REGISTER, variables: { metadata: metadata() } }),
        }).then((response) => response.json());
      expect((await register({ authorization: `Bearer ${token}` })).data.register.registered).toBe(true);
      expect((await register({})).errors[0].extensions).toEqual({ code: 'UNAUTHENTICATED', requiredCapability: 'REGISTRY_WRITE' });
      expect(JSON.stringify(server.logs())).not.toContain(token);
    } finally {
      await killChildren();
      await config.remove();
      await database.dispose();
    }
  });

  it('beyond loopback grants nothing without a token, and refuses to allow anonymous writes', async () => {
    const database = await cliDatabase();
    const config = await tempDir('omnibase-config-');
    try {
      const env = { ...database.env, OMNIBASE_CONFIG_DIR: config.dir };
      const refused = startOmnibase(['serve', '--port', '0', '--host', '0.0.0.0', '--migrate'], { ...env, OMNIBASE_ANONYMOUS_CAPABILITIES: 'REGISTRY_WRITE' });
      expect(await refused.exited).toBe(2);
      expect(refused.stderr()).toContain('where anonymous writes are never accepted');

      const server = startOmnibase(['serve', '--port', '0', '--host', '0.0.0.0', '--migrate'], env);
      const url = (await server.listening).replace('0.0.0.0', '127.0.0.1');
      expect(server.logs().map((entry) => entry.msg)).not.toContain('local credential written');
      const answer = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ search { totalCount } }' }) });
      expect((await answer.json()).errors[0].extensions).toEqual({ code: 'UNAUTHENTICATED', requiredCapability: 'REGISTRY_READ' });
    } finally {
      await killChildren();
      await config.remove();
      await database.dispose();
    }
  });
});
