import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLocalToken } from '../../src/auth/local-credential.js';
import { GRAPHIQL_ASSET_PATH } from '../../src/server/graphiql.js';
import { createLogger } from '../../src/logger.js';
import { createRegistryYoga } from '../../src/server/yoga.js';
import { migratedDatabase } from '../support/database.js';
import { cliDatabase, packageDir, tempDir, type CliDatabase } from '../cli/helpers.js';
import { killChildren, startOmnibase } from '../cli/processes.js';
import { testEngine } from '../support/database.js';

/** Debian's chromium (what .ci/run installs), or the browser CHROMIUM_PATH names. */
const browserPath = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find(
  (path): path is string => Boolean(path) && existsSync(path!),
);
if (!browserPath) {
  console.warn('test/server/graphiql: the browser test is skipped; it needs Chromium (`apt-get install chromium`, or CHROMIUM_PATH=/path/to/chrome).');
}

const QUERY = '{ search(first: 5) { totalCount } }';
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
/** Where the screenshot is kept after the run (.vitest/ is ignored by git). */
const SCREENSHOT = join(packageDir, '.vitest', `graphiql-${testEngine}.png`);

describe('GraphiQL, served by the registry with nothing from the internet', () => {
  let database: CliDatabase;
  let config: { dir: string; remove(): Promise<void> };
  let env: Record<string, string | undefined>;
  let url: string;

  beforeAll(async () => {
    database = await cliDatabase();
    config = await tempDir('omnibase-graphiql-');
    env = { ...database.env, OMNIBASE_CONFIG_DIR: config.dir, OMNIBASE_INTROSPECTION: undefined };
    url = await startOmnibase(['serve', '--port', '0', '--migrate'], env).listening;
    const token = await findLocalToken(url, { OMNIBASE_CONFIG_DIR: config.dir });
    for (const [index, name] of ['yaml-lint', 'json-lint'].entries()) {
      const metadata = { schema_version: '0.3', uuid: `6f1c2a9e-${index}111-4222-8333-444455556666`, name, version: '1.0.0', type: 'validator' };
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: 'mutation($m: JSON!) { register(metadata: $m) { registered } }', variables: { m: metadata } }),
      });
      expect(await response.json()).toEqual({ data: { register: { registered: true } } });
    }
  });

  afterAll(async () => {
    await killChildren();
    await database?.dispose();
    await config?.remove();
  });

  it('serves a page whose every script, style and worker is an asset of this server, kept by browsers for good', async () => {
    const page = await fetch(url, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<title>omnibase registry</title>');
    expect([...html.matchAll(/(?:src|href)="([^"]+)"/g)].map(([, link]) => link)).toEqual([
      `${GRAPHIQL_ASSET_PATH}favicon.ico`,
      `${GRAPHIQL_ASSET_PATH}graphiql.css`,
      `${GRAPHIQL_ASSET_PATH}yoga-graphiql.js`,
    ]);
    expect(html).not.toMatch(/https?:\/\//);
    for (const [file, type] of [
      ['yoga-graphiql.js', 'text/javascript'],
      ['graphiql.css', 'text/css'],
      ['editor.worker.js', 'text/javascript'],
      ['json.worker.js', 'text/javascript'],
      ['graphql.worker.js', 'text/javascript'],
      ['favicon.ico', 'image/x-icon'],
    ]) {
      const asset = await fetch(new URL(`${GRAPHIQL_ASSET_PATH}${file}`, url));
      expect(asset.status, file).toBe(200);
      expect(asset.headers.get('content-type'), file).toContain(type);
      expect(asset.headers.get('cache-control'), file).toBe('public, max-age=31536000, immutable');
      expect((await asset.arrayBuffer()).byteLength, file).toBeGreaterThan(1000);
    }
    expect((await fetch(new URL(`${GRAPHIQL_ASSET_PATH}nothing.js`, url))).status).toBe(404);
    expect((await fetch(new URL(`${GRAPHIQL_ASSET_PATH}graphiql.css`, url), { method: 'POST' })).status).toBe(404);
  });

  it.runIf(browserPath)(
    'loads in a headless browser with every non-loopback request blocked, runs a query with the run button and shows the answer',
    async () => {
      let browser: Browser | undefined;
      try {
        browser = await puppeteer.launch({
          executablePath: browserPath,
          headless: true,
          // Root in a container has no user namespace for Chromium's sandbox; the page is our own.
          args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
        });
        const page = await browser.newPage();
        await page.setViewport({ width: 1280, height: 800 });
        const blocked: string[] = [];
        const failed: string[] = [];
        const errors: string[] = [];
        const loaded: string[] = [];
        await page.setRequestInterception(true);
        page.on('request', (request) => {
          const target = new URL(request.url());
          if (['http:', 'https:', 'ws:', 'wss:'].includes(target.protocol) && !LOOPBACK.has(target.hostname)) {
            blocked.push(request.url());
            void request.abort('blockedbyclient');
          } else {
            void request.continue();
          }
        });
        page.on('requestfailed', (request) => failed.push(`${request.url()}: ${request.failure()?.errorText}`));
        page.on('response', (response) => {
          if (response.status() >= 400) failed.push(`${response.url()}: HTTP ${response.status()}`);
          else loaded.push(new URL(response.url()).pathname);
        });
        page.on('pageerror', (error) => errors.push(error instanceof Error ? error.message : String(error)));

        await page.goto(`${url}?query=${encodeURIComponent(QUERY)}`, { waitUntil: 'networkidle0', timeout: 60_000 });
        await page.waitForSelector('.graphiql-execute-button', { timeout: 30_000 });
        await page.click('.graphiql-execute-button');
        const answer = await page.waitForFunction(
          () => {
            const text = document.querySelector('.graphiql-response')?.textContent?.replace(/\s+/g, ' ') ?? '';
            return text.includes('totalCount') ? text : false;
          },
          { timeout: 30_000 },
        );
        expect(await answer.jsonValue()).toMatch(/"search": \{ "totalCount": 2 \}/);
        await mkdir(join(packageDir, '.vitest'), { recursive: true });
        await page.screenshot({ path: SCREENSHOT as `${string}.png`, fullPage: true });
        expect(existsSync(SCREENSHOT)).toBe(true);
        // The editors' workers came from this server too (Monaco starts them once the editors are up).
        expect(loaded).toEqual(expect.arrayContaining([`${GRAPHIQL_ASSET_PATH}editor.worker.js`, `${GRAPHIQL_ASSET_PATH}graphql.worker.js`]));
        expect(blocked).toEqual([]);
        expect(failed).toEqual([]);
        expect(errors).toEqual([]);
      } finally {
        await browser?.close();
      }
    },
  );

  it('serves neither the page nor its assets with OMNIBASE_INTROSPECTION=off', async () => {
    // A database of its own: the embedded one is open in the first server.
    const other = await cliDatabase();
    const server = startOmnibase(['serve', '--port', '0', '--migrate'], { ...env, ...other.env, OMNIBASE_INTROSPECTION: 'off' });
    try {
      const closed = await server.listening;
        const page = await fetch(closed, { headers: { accept: 'text/html' } });
      expect(page.headers.get('content-type') ?? '').not.toContain('text/html');
      expect(await page.text()).not.toContain('YogaGraphiQL');
      expect((await fetch(new URL(`${GRAPHIQL_ASSET_PATH}yoga-graphiql.js`, closed))).status).toBe(404);
    } finally {
      await server.stop();
      await other.dispose();
    }
  });
});

// The same, in-process: the Yoga server as a fetch handler, with introspection on and off.
describe('GraphiQL assets from createRegistryYoga', () => {
  it('answers the page and each asset with introspection on, and 404 for all of them with it off', async () => {
    const database = await migratedDatabase();
    try {
      const open = createRegistryYoga({ db: database.db, logger: createLogger('silent'), introspection: true });
      const closed = createRegistryYoga({ db: database.db, logger: createLogger('silent'), introspection: false });
      const page = await open.fetch('http://registry.test/graphql?query=%7B__typename%7D', { headers: { accept: 'text/html' } });
      expect(await page.text()).toContain(`<script src="${GRAPHIQL_ASSET_PATH}yoga-graphiql.js"></script>`);
      for (const file of ['yoga-graphiql.js', 'graphiql.css', 'editor.worker.js', 'json.worker.js', 'graphql.worker.js', 'favicon.ico']) {
        const asset = await open.fetch(`http://registry.test${GRAPHIQL_ASSET_PATH}${file}`);
        expect(asset.status, file).toBe(200);
        expect((await asset.arrayBuffer()).byteLength, file).toBeGreaterThan(1000);
        expect((await open.fetch(`http://registry.test${GRAPHIQL_ASSET_PATH}${file}`, { method: 'HEAD' })).status, file).toBe(200);
        expect((await closed.fetch(`http://registry.test${GRAPHIQL_ASSET_PATH}${file}`)).status, file).toBe(404);
      }
      const favicon = new Uint8Array(await (await open.fetch(`http://registry.test${GRAPHIQL_ASSET_PATH}favicon.ico`)).arrayBuffer());
      expect([...favicon.subarray(0, 4)]).toEqual([0, 0, 1, 0]); // an ICO header, decoded from the package's data: URL
      expect((await open.fetch(`http://registry.test${GRAPHIQL_ASSET_PATH}nothing.js`)).status).toBe(404);
      const hidden = await closed.fetch('http://registry.test/graphql', { headers: { accept: 'text/html' } });
      expect(await hidden.text()).not.toContain('YogaGraphiQL');
    } finally {
      await database.close();
    }
  });
});
