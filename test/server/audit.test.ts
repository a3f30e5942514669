import { auditServer, type AuditResult } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenAuthorizer } from '../../src/auth/authorizer.js';
import { createToken } from '../../src/auth/tokens.js';
import { createLogger } from '../../src/logger.js';
import { listen, type RunningServer } from '../../src/server/http.js';
import { migratedDatabase, type MigratedDatabase } from '../support/database.js';

describe('GraphQL-over-HTTP conformance (graphql-http audits against the real server)', () => {
  let database: MigratedDatabase;
  let server: RunningServer;
  let token: string;

  beforeAll(async () => {
    database = await migratedDatabase();
    ({ token } = await createToken(database.db, { name: 'audit', capabilities: ['REGISTRY_READ'] }));
    // Nothing granted without a token, as beyond loopback: every audit request carries the token.
    const authorizer = tokenAuthorizer({ db: database.db, anonymous: new Set() });
    server = await listen({ db: database.db, logger: createLogger('silent'), port: 0, host: '127.0.0.1', authorizer });
  });
  afterAll(async () => {
    await server?.close();
    await database?.close();
  });

  it('passes every MUST audit', async () => {
    const withToken = (input: RequestInfo | URL, init: RequestInit = {}) => {
      const headers = new Headers(init.headers);
      headers.set('authorization', `Bearer ${token}`);
      return fetch(input, { ...init, headers });
    };
    const results: AuditResult[] = await auditServer({ url: server.url, fetchFn: withToken });
    const tally = { ok: 0, notice: 0, warn: 0, error: 0 };
    for (const result of results) tally[result.status] += 1;
    // The tally is part of the hardening report (README, "Security").
    console.info(`graphql-http audits: ${results.length} run, ${JSON.stringify(tally)}`);
    const failedMusts = results.filter((result) => result.name.startsWith('MUST') && result.status !== 'ok');
    expect(failedMusts.map((result) => `${result.name}: ${'reason' in result ? result.reason : ''}`)).toEqual([]);
    expect(tally.error).toBe(0);
  });
});
