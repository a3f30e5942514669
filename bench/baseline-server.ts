// The SPEC's bare baseline: node:http and pg, no framework, serving the row `component(uuid)` serves, from the
// same request body, with the same pool size as the registry. Prints `listening <url>` once it listens.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const SQL = 'SELECT uuid, name, version, lifecycle, tags, document AS metadata FROM components WHERE uuid = $1';

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    let uuid: string;
    try {
      uuid = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { variables: { u: string } }).variables.u;
    } catch {
      response.writeHead(400).end();
      return;
    }
    pool.query(SQL, [uuid]).then(
      ({ rows }) => {
        const row = rows[0];
        const component = row ? { ...row, lifecycle: String(row.lifecycle).toUpperCase() } : null;
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { component } }));
      },
      (error: Error) => response.writeHead(500).end(error.message),
    );
  });
});

server.listen(0, '127.0.0.1', () => {
  console.log(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
});
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void pool.end();
});
