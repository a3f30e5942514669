import autocannon from 'autocannon';
import { percentiles, type Percentiles } from './support.js';

/** What one kind of request sends, and what to do with its answer (e.g. record an acknowledged write). */
export interface LoadRequest {
  /** The JSON body of the next request on this connection; `context` lives as long as the connection. */
  body(context: Record<string, unknown>): string;
  /** Called with each answer's status and body; return false when the answer is a failure. */
  check?(status: number, body: string, context: Record<string, unknown>): boolean;
}

export interface LoadOptions {
  readonly url: string;
  readonly connections: number;
  readonly durationS: number;
  readonly headers?: Record<string, string>;
  readonly request: LoadRequest;
}

export interface LoadResult {
  readonly connections: number;
  readonly durationS: number;
  readonly requests: number;
  /** Requests answered per second over the run. */
  readonly throughput: number;
  readonly latency: Percentiles;
  /** Connection errors, timeouts, non-2xx answers and answers carrying GraphQL errors. */
  readonly errors: number;
  /** Every answer's latency in ms, for pooling runs; not stored. */
  readonly latencies?: number[];
}

/**
 * Drives `connections` keep-alive connections, each sending its next request when the last was answered,
 * for `durationS` seconds, with autocannon; every answer's latency is kept for exact percentiles.
 */
export async function runLoad({ url, connections, durationS, headers = {}, request }: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  let failed = 0;
  let finish!: (result: autocannon.Result) => void;
  let fail!: (error: Error) => void;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const instance = autocannon({
    url,
    method: 'POST',
    connections,
    duration: durationS,
    timeout: 30,
    headers: { 'content-type': 'application/json', ...headers },
    requests: [
      {
        setupRequest: (raw, context) => ({ ...raw, body: request.body(context as Record<string, unknown>) }),
        onResponse: (status, body, context) => {
          let ok = false;
          try {
            ok = status === 200 && !body.includes('"errors":') && (request.check?.(status, body, context as Record<string, unknown>) ?? true);
          } catch (error) {
            // An answer the check cannot read is a failed answer; throwing here would stall autocannon.
            console.error(`  unreadable answer: ${(error as Error).message}`);
          }
          if (!ok) {
            failed += 1;
            if (failed <= 3) console.error(`  failed answer (${status}): ${body.slice(0, 300)}`);
          }
        },
      },
    ],
  }, (error, result) => (error ? fail(error) : finish(result)));
  instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  const result = await finished;
  return {
    connections,
    durationS,
    requests: latencies.length,
    throughput: Math.round((latencies.length / (result.duration || durationS)) * 10) / 10,
    latency: percentiles(latencies.length ? latencies : [0]),
    errors: failed + result.errors + result.timeouts,
    latencies,
  };
}
