import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { ClientError, GraphQLClient } from 'graphql-request';
import { RegistryResponseError, RegistryUnreachableError } from './errors.js';

/** How long one request may take before the registry counts as unreachable. */
export const REQUEST_TIMEOUT_MS = 15_000;

/** The reason a request never got a GraphQL answer, as a user should read it. */
function networkReason(error: Error, timeoutMs: number): string {
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return `no answer within ${timeoutMs / 1000} s`;
  // undici reports "fetch failed" with the socket error (ECONNREFUSED, ENOTFOUND, …) as its cause.
  const cause = error.cause as (Error & { code?: string }) | undefined;
  if (cause?.code) return cause.message.includes(cause.code) ? cause.message : `${cause.code}: ${cause.message}`;
  return cause?.message ?? error.message;
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

  async request<Result, Variables extends Record<string, unknown>>(
    document: TypedDocumentNode<Result, Variables>,
    variables: Variables,
  ): Promise<Result> {
    try {
      return await this.client.request<Result, Variables>({
        document,
        variables,
        signal: AbortSignal.timeout(this.timeoutMs),
      } as never);
    } catch (error) {
      throw this.translate(error);
    }
  }

  private translate(error: unknown): unknown {
    if (error instanceof ClientError) {
      const first = error.response.errors?.[0];
      const code = first?.extensions?.code;
      if (first && typeof code === 'string') {
        // The server is up but its database is not: for the CLI that is the registry being unreachable.
        if (code === 'SERVICE_UNAVAILABLE') return new RegistryUnreachableError(this.url, `the server says: ${first.message}`);
        return new RegistryResponseError(first.message, first.extensions as Record<string, unknown>);
      }
      if (first) return new RegistryResponseError(first.message, {});
      return new RegistryUnreachableError(
        this.url,
        `HTTP ${error.response.status} without a GraphQL answer; is this the registry's /graphql endpoint?`,
      );
    }
    if (error instanceof Error) {
      if (error.name === 'TypeError' || error.name === 'TimeoutError' || error.name === 'AbortError') {
        return new RegistryUnreachableError(this.url, networkReason(error, this.timeoutMs));
      }
      // A 2xx answer that does not parse as GraphQL: something else listens at this URL.
      if (error instanceof SyntaxError || /Invalid execution result/i.test(error.message)) {
        return new RegistryUnreachableError(this.url, `the answer is not GraphQL (${error.message}); is this the registry's /graphql endpoint?`);
      }
    }
    return error;
  }
}
