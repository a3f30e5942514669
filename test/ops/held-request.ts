import { request } from 'node:http';
import type { HttpResult } from './support.js';

export interface HeldRequest {
  /** Resolves once the server has read the headers and handed the request to its handler (it sent 100 Continue). */
  readonly started: Promise<void>;
  /** Sends the body: the request can complete. */
  finish(): void;
  /** The answer, or the connection's failure. */
  readonly response: Promise<HttpResult>;
}

/**
 * A POST whose body waits for finish(): with `Expect: 100-continue` Node's server answers 100 once the request
 * reached the handler, so the test knows for certain the request is in flight, whatever the machine's load.
 */
export function heldRequest(url: string, body: unknown, headers: Record<string, string> = {}): HeldRequest {
  const payload = JSON.stringify(body);
  let onStarted!: () => void;
  const started = new Promise<void>((resolve) => (onStarted = resolve));
  const req = request(url, {
    method: 'POST',
    agent: false,
    headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)), expect: '100-continue', ...headers },
  });
  const response = new Promise<HttpResult>((resolve, reject) => {
    req.on('continue', onStarted);
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) }));
      res.on('error', reject);
    });
  });
  response.catch(() => {}); // A test that expects the failure awaits it; the rest must not see it unhandled.
  req.flushHeaders();
  return { started, finish: () => req.end(payload), response };
}
