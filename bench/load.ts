import { Agent, request as httpRequest } from 'node:http';
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

export interface PacedOptions extends LoadOptions {
  /** Requests per second all connections together send, spread evenly over the connections and the second. */
  readonly rate: number;
}

/**
 * Open-loop load at a steady rate: each of `connections` users sends its requests on a fixed schedule,
 * `connections / rate` seconds apart, the users' schedules staggered across that interval. autocannon's
 * rate limit releases each second's requests in one burst, which measures how long a burst takes to
 * drain rather than the latency at that rate. Latency counts from the scheduled time, not the moment the
 * request left, so a server that falls behind is charged for the wait it caused.
 */
export async function runPaced({ url, connections, durationS, headers = {}, rate, request }: PacedOptions): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const interval = (connections / rate) * 1000;
  const started = performance.now();
  const end = started + durationS * 1000;
  const latencies: number[] = [];
  let failed = 0;
  const post = (body: string) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const outgoing = httpRequest(url, {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
      });
      outgoing.on('response', (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
        response.on('error', reject);
      });
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  const user = async (index: number) => {
    const context: Record<string, unknown> = {};
    for (let scheduled = started + (index / connections) * interval; scheduled < end; scheduled += interval) {
      const wait = scheduled - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      let ok = false;
      try {
        const { status, text } = await post(request.body(context));
        ok = status === 200 && !text.includes('"errors":') && (request.check?.(status, text, context) ?? true);
        if (!ok && failed < 3) console.error(`  failed answer (${status}): ${text.slice(0, 300)}`);
      } catch (error) {
        if (failed < 3) console.error(`  failed request: ${(error as Error).message}`);
      }
      if (!ok) failed += 1;
      latencies.push(performance.now() - scheduled);
    }
  };
  await Promise.all(Array.from({ length: connections }, (_, index) => user(index)));
  agent.destroy();
  const elapsedS = (performance.now() - started) / 1000;
  return {
    connections,
    durationS,
    requests: latencies.length,
    throughput: Math.round((latencies.length / elapsedS) * 10) / 10,
    latency: percentiles(latencies.length ? latencies : [0]),
    errors: failed,
    latencies,
  };
}
