import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { createLogger } from '../../src/logger.js';
import { createRegistryYoga } from '../../src/server/yoga.js';
import { freshTarget, testEngine, type TestDatabase } from '../support/database.js';
import { registryHarness, type RegistryHarness } from '../support/registry.js';

describe('/healthz and /readyz', () => {
  let registry: RegistryHarness;
  beforeAll(async () => {
    registry = await registryHarness();
  });
  afterAll(() => registry.close());

  it('say ok and ready when the database answers and is migrated', async () => {
    const health = await registry.yoga.fetch('http://registry.test/healthz');
    expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
    const ready = await registry.yoga.fetch('http://registry.test/readyz');
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready' }]);
  });
});

describe('/readyz on a database that is not ready', () => {
  let unmigrated: TestDatabase;
  beforeAll(async () => {
    unmigrated = await freshTarget();
  });
  afterAll(() => unmigrated.dispose());

  it('answers 503 naming the migrations not applied, while /healthz stays 200', async () => {
    const db = await openDatabase(unmigrated.target);
    const yoga = createRegistryYoga({ db, logger: createLogger('silent') });
    const ready = await yoga.fetch('http://registry.test/readyz');
    const health = await yoga.fetch('http://registry.test/healthz');
    await db.close();
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'unavailable', reason: expect.stringMatching(/^migrations not applied: 20261124000000_init \(pending\)/) });
    expect(health.status).toBe(200);
  });

  it.runIf(testEngine === 'postgres')('answers 503 when the database cannot be reached', async () => {
    const db = await openDatabase({ engine: 'postgres', url: 'postgresql://postgres@127.0.0.1:1/none' });
    const yoga = createRegistryYoga({ db, logger: createLogger('silent') });
    const ready = await yoga.fetch('http://registry.test/readyz');
    await db.close();
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'unavailable', reason: expect.stringMatching(/^database unreachable: .*ECONNREFUSED/) });
  });
});
