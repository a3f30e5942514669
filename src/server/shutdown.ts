import type { Server } from 'node:http';

/** How long a shutdown waits for in-flight requests before it closes their connections anyway. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

export class ShutdownConfigError extends Error {
  override readonly name = 'ShutdownConfigError';
}

/** OMNIBASE_SHUTDOWN_TIMEOUT_MS as a whole number of milliseconds (0 allowed: close at once), else the default. */
export function shutdownTimeoutFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.OMNIBASE_SHUTDOWN_TIMEOUT_MS?.trim();
  if (!raw) return DEFAULT_SHUTDOWN_TIMEOUT_MS;
  if (!/^\d{1,9}$/.test(raw)) {
    throw new ShutdownConfigError(`OMNIBASE_SHUTDOWN_TIMEOUT_MS must be a whole number of milliseconds, e.g. 10000 (got "${raw}")`);
  }
  return Number(raw);
}

export interface DrainResult {
  /** Requests still running when the drain began. */
  readonly inFlight: number;
  /** True when the bound ran out and the remaining connections were cut. */
  readonly forced: boolean;
}

/**
 * Stops accepting connections and waits for the requests already running, at most `timeoutMs`; then cuts what
 * is left. Idle keep-alive connections close at once, busy ones after their current response (the request
 * handler marks responses `Connection: close` while draining).
 */
export function drainServer(server: Server, inFlight: number, timeoutMs: number): Promise<DrainResult> {
  return new Promise((resolve, reject) => {
    let forced = false;
    const timer = setTimeout(() => {
      forced = true;
      server.closeAllConnections();
    }, timeoutMs);
    server.close((error) => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolve({ inFlight, forced });
    });
    server.closeIdleConnections();
  });
}
