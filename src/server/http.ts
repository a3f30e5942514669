import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { anonymousCapabilities, tokenAuthorizer, type Authorizer } from '../auth/authorizer.js';
import type { RegistryHead } from '../cache/registry-head.js';
import type { ResponseCacheOptions } from '../cache/response-cache.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import { createChangeStreams, DEFAULT_STREAMS_PER_PRINCIPAL } from './change-stream.js';
import { DEFAULT_SHUTDOWN_TIMEOUT_MS, drainServer, type DrainResult } from './shutdown.js';
import { createRegistryYoga } from './yoga.js';

export interface ListenOptions {
  readonly db: Database;
  readonly logger: Logger;
  readonly port: number;
  readonly host: string;
  /** Who requests are and what they may do; by default the registry's tokens, and for requests without one what `host` allows. */
  readonly authorizer?: Authorizer;
  /** How long close() waits for in-flight requests before cutting their connections. */
  readonly shutdownTimeoutMs?: number;
  /** Where the registry stands, shared by the response cache and the authorizer (src/cache/registry-head.ts). */
  readonly head?: RegistryHead;
  /** Keep answers to queries until a write touches what they read (src/cache). */
  readonly responseCache?: Pick<ResponseCacheOptions, 'maxEntries'> | false;
  /** Live change streams one principal may hold open at once (OMNIBASE_STREAMS_PER_PRINCIPAL); 0 refuses them. */
  readonly streamsPerPrincipal?: number;
}

export interface RunningServer {
  /** The GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql. */
  readonly url: string;
  readonly server: Server;
  /**
   * Drains: stops accepting, answers /readyz with 503 on connections still open, lets in-flight requests finish
   * (bounded by shutdownTimeoutMs) and closes every connection. Calling it again returns the same drain.
   */
  close(): Promise<DrainResult>;
}

const KEEP_ALIVE_TIMEOUT_MS = 65_000;

const SHUTTING_DOWN = JSON.stringify({ status: 'unavailable', reason: 'shutting down' });

export async function listen({
  db,
  logger,
  port,
  host,
  authorizer = tokenAuthorizer({ db, anonymous: anonymousCapabilities(host) }),
  shutdownTimeoutMs = DEFAULT_SHUTDOWN_TIMEOUT_MS,
  head,
  responseCache,
  streamsPerPrincipal = DEFAULT_STREAMS_PER_PRINCIPAL,
}: ListenOptions): Promise<RunningServer> {
  const changeStreams = createChangeStreams({ db, perPrincipal: streamsPerPrincipal });
  const yoga = createRegistryYoga({
    db,
    logger,
    authorizer,
    changeStreams,
    ...(head ? { head } : {}),
    ...(responseCache !== undefined ? { responseCache } : {}),
  });
  let draining = false;
  let inFlight = 0;
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    inFlight++;
    const stream = request.headers.accept?.includes('text/event-stream') ?? false;
    response.once('close', () => {
      inFlight--;
      // A change stream that began before the drain ends with it, leaving its connection idle but open: closed
      // now, not when the client's keep-alive runs out.
      if (draining && stream) request.socket.end();
    });
    if (draining) {
      // A keep-alive client learns to open its next request elsewhere: this connection ends after the response.
      response.setHeader('connection', 'close');
      if (request.url?.split('?')[0] === '/readyz') {
        // So a load balancer that still probes this instance stops sending it work.
        response.writeHead(503, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(SHUTTING_DOWN) }).end(SHUTTING_DOWN);
        return;
      }
    }
    void yoga(request, response);
  });
  // An idle keep-alive connection is kept longer than a load balancer's (60 s is common) or a client pool's
  // idle time: closed first by the server, a connection races the client's next request on it, which then
  // fails with ECONNRESET though nothing was wrong. Node's default is 5 s.
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostname = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<DrainResult> | undefined;
  return {
    url: `http://${hostname}:${address.port}/graphql`,
    server,
    close() {
      if (!closing) {
        draining = true;
        logger.info(
          { inFlight, streams: changeStreams.openCount(), timeoutMs: shutdownTimeoutMs },
          'draining: no new connections, finishing in-flight requests',
        );
        // Open change streams complete at once (their clients resume elsewhere with their cursor), so they never hold the drain.
        const streamsClosed = changeStreams.close();
        closing = Promise.all([drainServer(server, inFlight, shutdownTimeoutMs), streamsClosed]).then(([result]) => {
          if (result.forced) logger.warn({ ...result, timeoutMs: shutdownTimeoutMs }, 'drain timed out; remaining connections were closed');
          else logger.info(result, 'drained');
          return result;
        });
      }
      return closing;
    },
  };
}
