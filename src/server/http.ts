import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import { createRegistryYoga } from './yoga.js';

export interface ListenOptions {
  readonly db: Database;
  readonly logger: Logger;
  readonly port: number;
  readonly host: string;
}

export interface RunningServer {
  /** The GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql. */
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

export async function listen({ db, logger, port, host }: ListenOptions): Promise<RunningServer> {
  const yoga = createRegistryYoga({ db, logger });
  const server = createServer(yoga);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostname = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${hostname}:${address.port}/graphql`,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}
