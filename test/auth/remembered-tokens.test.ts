import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenAuthorizer } from '../../src/auth/authorizer.js';
import { createToken, revokeToken } from '../../src/auth/tokens.js';
import { databaseHead } from '../../src/cache/registry-head.js';
import { createLogger } from '../../src/logger.js';
import { registerComponent } from '../../src/resolvers/register.js';
import { createRegistryYoga, type RegistryYoga } from '../../src/server/yoga.js';
import { migratedDatabase, type MigratedDatabase } from '../support/database.js';
import { metadata } from '../support/registry.js';

let database: MigratedDatabase;
let yoga: RegistryYoga;
const statements: string[] = [];

beforeAll(async () => {
  database = await migratedDatabase({ onQuery: (sql) => statements.push(sql) });
  const head = databaseHead(database.db);
  const authorizer = tokenAuthorizer({ db: database.db, anonymous: new Set(), head });
  yoga = createRegistryYoga({ db: database.db, logger: createLogger('silent'), head, authorizer, responseCache: false });
});
afterAll(() => database.close());

async function lookup(uuid: string, token: string): Promise<{ status: number; body: any; sent: number }> {
  statements.length = 0;
  const response = await yoga.fetch('http://registry.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: 'query($u: UUID!) { component(uuid: $u) { name } }', variables: { u: uuid } }),
  });
  return { status: response.status, body: await response.json(), sent: statements.length };
}

describe('tokens an instance has verified', () => {
  it('cost no statement again: an authenticated read is one round trip besides the head', async () => {
    const { component } = await registerComponent({ db: database.db, actor: null }, metadata({ name: 'looked-up' }));
    const { token } = await createToken(database.db, { name: 'reader', capabilities: ['REGISTRY_READ'] });
    const first = await lookup(component.uuid, token);
    expect(first.body.data.component.name).toBe('looked-up');
    const again = await lookup(component.uuid, token);
    expect(again.body.data.component.name).toBe('looked-up');
    // The component, and nothing for the token: the head is read outside the statement log, once per request.
    expect(again.sent).toBe(1);
    expect(first.sent).toBeGreaterThan(again.sent);
  });

  it('are refused by the next request once revoked', async () => {
    const { component } = await registerComponent({ db: database.db, actor: null }, metadata({ name: 'guarded' }));
    const { token, record } = await createToken(database.db, { name: 'revoked soon', capabilities: ['REGISTRY_READ'] });
    expect((await lookup(component.uuid, token)).status).toBe(200);
    await revokeToken(database.db, record.id);
    const refused = await lookup(component.uuid, token);
    expect(refused.status).toBe(401);
    expect(refused.body.errors[0].message).toBe('the bearer token "revoked soon" was revoked; ask for a new one');
  });
});
