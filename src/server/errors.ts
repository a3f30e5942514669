import { GraphQLError } from 'graphql';
import type { Logger } from '../logger.js';
import { MetadataValidationError } from '../metadata/validate.js';
import { RegistryError } from '../resolvers/errors.js';

// Failures that mean the database cannot be reached right now, as pg, PGlite, Prisma's pg adapter (whose
// DriverAdapterError carries a `kind` in its cause) and Prisma's client (P1001 cannot reach, P1002/P1008 timed out,
// P1017 closed, P2024 no pooled connection in time) report them.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH',
  '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004',
  'P1001', 'P1002', 'P1008', 'P1017', 'P2024',
]);
const UNAVAILABLE_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);
const UNAVAILABLE_MESSAGE =
  /ECONNREFUSED|Connection terminated|not queryable|timeout exceeded when trying to connect|terminating connection|DatabaseNotReachable|PGlite is closed/i;

/**
 * True when `error`, or anything in its chain of causes, says the database is out of reach right now. Prisma puts
 * the adapter's error in `meta.driverAdapterError` (a raw query's P2010, for one), the adapter its kind in `cause`.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const pending: unknown[] = [error];
  for (let seen = 0; pending.length > 0 && seen < 10; seen++) {
    const node = pending.shift();
    if (typeof node !== 'object' || node === null) continue;
    const { code, kind, message, cause, meta } = node as { code?: unknown; kind?: unknown; message?: unknown; cause?: unknown; meta?: { driverAdapterError?: unknown } };
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
    if (typeof kind === 'string' && UNAVAILABLE_KINDS.has(kind)) return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message)) return true;
    pending.push(cause, meta?.driverAdapterError);
  }
  return false;
}

/**
 * The error a resolver threw, beneath the GraphQLError wrappers of the executor; undefined when graphql-js
 * itself raised the error (a parse, validation or argument error). Wrappers are recognised by shape, as
 * more than one copy of graphql-js may be loaded.
 */
function rootCause(error: GraphQLError): Error | undefined {
  let cause: Error | undefined = error.originalError ?? undefined;
  while (cause && cause.name === 'GraphQLError') cause = (cause as GraphQLError).originalError ?? undefined;
  return cause;
}

function withCode(error: GraphQLError, message: string, extensions: Record<string, unknown>): GraphQLError {
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions,
  });
}

/**
 * The one place a failure becomes what a client reads: registry errors keep their message and code,
 * anything unexpected is logged in full and reaches the client only as a request id.
 */
export function toClientError(error: GraphQLError, requestId: string, logger: Logger): GraphQLError {
  const original = rootCause(error);
  // A refusal of one document of a batch names it by its position (src/resolvers/write.ts, atIndex).
  const index = (original as { index?: unknown } | undefined)?.index;
  const item = typeof index === 'number' ? { index } : {};
  if (original instanceof MetadataValidationError) {
    return withCode(error, original.message, { code: 'METADATA_VALIDATION_ERROR', errors: original.problems, ...item });
  }
  if (original instanceof RegistryError) {
    return withCode(error, original.message, { code: original.code, ...original.details(), ...item });
  }
  if (!original) {
    // Parse, validation and argument errors from graphql-js name what the client sent wrong.
    return error.extensions.code ? error : withCode(error, error.message, { ...error.extensions, code: 'BAD_USER_INPUT' });
  }
  if (isDatabaseUnavailable(original)) {
    logger.warn({ requestId, err: original }, 'database unavailable');
    return withCode(error, 'the registry database is unavailable; retry shortly', { code: 'SERVICE_UNAVAILABLE', requestId });
  }
  logger.error({ requestId, err: original, path: error.path }, 'unexpected error');
  return withCode(error, `unexpected error; the server logged it as request ${requestId}`, {
    code: 'INTERNAL_SERVER_ERROR',
    requestId,
  });
}
