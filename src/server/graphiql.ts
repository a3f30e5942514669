import { createRequire } from 'node:module';
import type { GraphiQLOptions, Plugin } from 'graphql-yoga';

/**
 * GraphiQL served by the registry itself, for air-gapped use. Yoga's default page loads its script, styles
 * and editor workers from a public CDN; here every one of them comes from the installed
 * `@graphql-yoga/render-graphiql` package, as separate files under a versioned path, so a browser fetches
 * the 9 MB of JavaScript once and keeps it, instead of with every page view as the package's inline page would.
 */
const VERSION: string = createRequire(import.meta.url)('@graphql-yoga/render-graphiql/package.json').version;

/** Where the assets live; the version in the path is what lets browsers keep them for good. */
export const GRAPHIQL_ASSET_PATH = `/graphiql/${VERSION}/`;

type AssetModule = typeof import('@graphql-yoga/render-graphiql/graphiql');

interface Asset {
  readonly type: string;
  body(module: AssetModule): string | Uint8Array<ArrayBuffer>;
}

const script = 'text/javascript; charset=utf-8';

const ASSETS: Record<string, Asset> = {
  'graphiql.css': { type: 'text/css; charset=utf-8', body: (module) => module.css },
  'yoga-graphiql.js': { type: script, body: (module) => module.js },
  'editor.worker.js': { type: script, body: (module) => module.editorWorkerService },
  'json.worker.js': { type: script, body: (module) => module.jsonWorker },
  'graphql.worker.js': { type: script, body: (module) => module.graphqlWorker },
  // The package ships its icon as a data: URL.
  'favicon.ico': { type: 'image/x-icon', body: (module) => Buffer.from(module.favicon.slice(module.favicon.indexOf(',') + 1), 'base64') },
};

/** Monaco asks for a worker by label; these are the labels GraphiQL's editors use. */
const WORKERS = { editorWorkerService: 'editor.worker.js', json: 'json.worker.js', graphql: 'graphql.worker.js' };

/** JSON that is safe inside a <script> element: no `</script>` or `<!--` can end it early. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The GraphiQL page: a small HTML document whose script, styles and workers all come from this server. */
export function renderRegistryGraphiQL(options: GraphiQLOptions = {}): string {
  const workers = Object.fromEntries(Object.entries(WORKERS).map(([label, file]) => [label, `${GRAPHIQL_ASSET_PATH}${file}`]));
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${escapeHtml(options.title ?? 'GraphiQL')}</title>
    <link rel="icon" href="${GRAPHIQL_ASSET_PATH}favicon.ico" />
    <link rel="stylesheet" href="${GRAPHIQL_ASSET_PATH}graphiql.css" />
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>GraphiQL needs JavaScript.</noscript>
    <div id="root"></div>
    <script>
      const workers = ${scriptJson(workers)};
      self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: (moduleId, label) => workers[label] };
    </script>
    <script src="${GRAPHIQL_ASSET_PATH}yoga-graphiql.js"></script>
    <script>
      YogaGraphiQL.renderYogaGraphiQL(document.getElementById('root'), ${scriptJson(options)});
    </script>
  </body>
</html>
`;
}

/**
 * Yoga's `graphiql` and `renderGraphiQL` options: the registry's own page, or none at all when introspection
 * is off (GraphiQL runs on introspection; with the schema hidden it would be an empty page).
 */
export function graphiqlOptions(enabled: boolean): { graphiql: GraphiQLOptions | false; renderGraphiQL: typeof renderRegistryGraphiQL } {
  return { graphiql: enabled ? { title: 'omnibase registry' } : false, renderGraphiQL: renderRegistryGraphiQL };
}

/**
 * Answers GET and HEAD for the page's assets. The package (9 MB of strings) is loaded on the first asset
 * request, not at start-up: a server nobody opens GraphiQL on never pays for it.
 */
export function useGraphiQLAssets(enabled: boolean): Plugin {
  let module: Promise<AssetModule> | undefined;
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (!enabled || !url.pathname.startsWith(GRAPHIQL_ASSET_PATH)) return;
      const asset = ASSETS[url.pathname.slice(GRAPHIQL_ASSET_PATH.length)];
      if (!asset || (request.method !== 'GET' && request.method !== 'HEAD')) {
        endResponse(new fetchAPI.Response('not found\n', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } }));
        return;
      }
      module ??= import('@graphql-yoga/render-graphiql/graphiql');
      const body = asset.body(await module);
      const headers = { 'content-type': asset.type, 'cache-control': 'public, max-age=31536000, immutable' };
      endResponse(new fetchAPI.Response(request.method === 'HEAD' ? null : body, { status: 200, headers }));
    },
  };
}
