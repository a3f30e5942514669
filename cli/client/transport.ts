import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { ClientError, GraphQLClient } from 'graphql-request';
import { RegistryResponseError, RegistryUnreachableError, WriteOutcomeUnknownError } from './errors.js';

/** How long one request may take before the registry counts as unreachable, unless OMNIBASE_REQUEST_TIMEOUT says otherwise. */
export const REQUEST_TIMEOUT_MS = 15_000;

/**
 * Socket errors that happen before a request is on the wire: no connection (refused, no route, no answer to
 * connecting), no address (the name does not resolve), no TLS session. A write that failed so never arrived.
 */
const NEVER_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NONAME',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function neverSent(socket: Error & { code?: string }): boolean {
  // undici refuses some ports (the "bad ports" of the Fetch standard) before it connects.
  if (socket.message === 'bad port') return true;
  const code = socket.code;
  return code !== undefined && (NEVER_SENT.has(code) || code.startsWith('ERR_TLS_') || code.includes('CERT'));
}

/** Answers a gateway gives when the server behind it failed or took too long, perhaps after it acted. */
const GATEWAY_FAILURES = new Set([502, 503, 504]);

/**
 * undici reports a network failure as a TypeError ("fetch failed", or "terminated" when an answer broke off)
 * with the socket error as its cause; a TypeError without a cause is a bug.
 */
function networkCause(error: Error): (Error & { code?: string }) | undefined {
  return error.name === 'TypeError' && error.cause instanceof Error ? error.cause : undefined;
}

/** The socket error behind an undici failure; an AggregateError holds one per address tried. */
function socketError(cause: Error): Error & { code?: string } {
  return cause instanceof AggregateError && cause.errors[0] instanceof Error ? cause.errors[0] : cause;
}

function describeSocketError(socket: Error & { code?: string }): string {
  // undici's own codes (UND_ERR_SOCKET) say nothing its message does not.
  if (!socket.code || socket.code.startsWith('UND_ERR_')) return socket.message;
  return socket.message.includes(socket.code) ? socket.message : `${socket.code}: ${socket.message}`;
}

/** How to tell, after an unknown outcome, whether a write was applied: a command to run. */
export interface WriteCheck {
  readonly howToCheck: string;
}

/** One GraphQL request to the registry; every registry command goes through it. */
export class RegistryClient {
  private readonly client: GraphQLClient;

  constructor(
    readonly url: string,
    token: string | undefined,
    private readonly timeoutMs = REQUEST_TIMEOUT_MS,
  ) {
    this.client = new GraphQLClient(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  }

  /** A query: any failure to get an answer is the registry being unreachable (reads then fall back to the cache). */
  request<Result, Variables extends Record<string, unknown>>(document: TypedDocumentNode<Result, Variables>, variables: Variables): Promise<Result> {
    return this.send(document, variables);
  }

  /**
   * A mutation. A failure before the request went out is the registry being unreachable (nothing changed);
   * any failure after it may have arrived is an unknown outcome, reported with `check.howToCheck`.
   */
  write<Result, Variables extends Record<string, unknown>>(
    document: TypedDocumentNode<Result, Variables>,
    variables: Variables,
    check: WriteCheck,
  ): Promise<Result> {
    return this.send(document, variables, check);
  }

  private async send<Result, Variables extends Record<string, unknown>>(
    document: TypedDocumentNode<Result, Variables>,
    variables: Variables,
    write?: WriteCheck,
  ): Promise<Result> {
    try {
      return await this.client.request<Result, Variables>({
        document,
        variables,
        signal: AbortSignal.timeout(this.timeoutMs),
      } as never);
    } catch (error) {
      throw this.translate(error, write);
    }
  }

  /** Nothing reached the registry, or (for a write) something may have: which error that is. */
  private lost(reason: string, write: WriteCheck | undefined, sent: boolean): Error {
    if (write && sent) return new WriteOutcomeUnknownError(this.url, reason, write.howToCheck);
    return new RegistryUnreachableError(this.url, reason, Boolean(write));
  }

  private translate(error: unknown, write: WriteCheck | undefined): unknown {
    if (error instanceof ClientError) {
      const first = error.response.errors?.[0];
      const code = first?.extensions?.code;
      if (first && typeof code === 'string') {
        // The server is up but its database is not: for a read the registry is unreachable; a write may have
        // been cut off in its commit.
        if (code === 'SERVICE_UNAVAILABLE') return this.lost(`the server says: ${first.message}`, write, true);
        return new RegistryResponseError(first.message, first.extensions as Record<string, unknown>);
      }
      if (first) return new RegistryResponseError(first.message, {});
      const status = error.response.status;
      return this.lost(`HTTP ${status} without a GraphQL answer; is this the registry's /graphql endpoint?`, write, GATEWAY_FAILURES.has(status));
    }
    if (!(error instanceof Error)) return error;
    if (error.name === 'TimeoutError' || error.name === 'AbortError') return this.lost(`no answer within ${this.timeoutMs / 1000} s`, write, true);
    const cause = networkCause(error);
    if (cause) {
      const socket = socketError(cause);
      return this.lost(describeSocketError(socket), write, !neverSent(socket));
    }
    // A 2xx answer that does not parse as GraphQL: something else listens at this URL, and it is not the registry.
    if (error instanceof SyntaxError || /Invalid execution result/i.test(error.message)) {
      return new RegistryUnreachableError(this.url, `the answer is not GraphQL (${error.message}); is this the registry's /graphql endpoint?`, Boolean(write));
    }
    // Anything else is a bug, here or in a library: reported as itself (exit 1), never as the registry's absence.
    return error;
  }
}
