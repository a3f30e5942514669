import { getOperationAST, Kind, type DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../logger.js';
import type { RegistryMetrics } from './metrics.js';

interface RequestRecord {
  readonly started: number;
  readonly requestId: string;
  graphql: boolean;
  operationName: string | null;
  operationType: string | null;
  /** The metrics label: the operation's root field, "multiple", or "invalid" when it never ran. */
  operation: string;
  outcome: string | null;
  principal: string;
}

const records = new WeakMap<Request, RequestRecord>();

/** Notes a request's outcome as the code of its first error; the error mapping calls this. */
export function recordOutcome(request: Request | undefined, codes: readonly unknown[]): void {
  const record = request && records.get(request);
  if (record && record.outcome === null && codes.length > 0) record.outcome = String(codes[0] ?? 'INTERNAL_SERVER_ERROR');
}

/** Notes a GraphQL request turned away before it was parsed (a credential that is not valid). */
export function recordRejection(request: Request, code: string): void {
  const record = records.get(request);
  if (!record) return;
  record.graphql = true;
  record.outcome = code;
}

function rootFieldLabel(document: DocumentNode, operationName: string | null | undefined): { label: string; type: string | null; name: string | null } {
  const operation = getOperationAST(document, operationName);
  if (!operation) return { label: 'invalid', type: null, name: null };
  const fields = operation.selectionSet.selections.flatMap((selection) =>
    selection.kind === Kind.FIELD && selection.name.value !== '__typename' ? [selection.name.value] : [],
  );
  const label = fields.length === 1 ? fields[0]! : fields.length === 0 ? 'typename' : 'multiple';
  return { label, type: operation.operation, name: operation.name?.value ?? null };
}

/** What the request's record says of its operation, once it is known to run. */
function noteOperation(args: { contextValue: unknown; document: DocumentNode; operationName?: string | null }): void {
  const context = args.contextValue as { request?: Request; principal?: { id: string } };
  const record = context.request && records.get(context.request);
  if (!record) return;
  const { label, type, name } = rootFieldLabel(args.document, args.operationName);
  record.operation = label;
  record.operationType = type;
  record.operationName = name;
  record.principal = context.principal?.id ?? 'anonymous';
}

/**
 * One JSON log line and one metrics observation per GraphQL request, with its request id and outcome.
 */
export function useRequestTelemetry(logger: Logger, metrics: RegistryMetrics, requestIdOf: (request: Request) => string): Plugin {
  return {
    onRequest({ request }) {
      records.set(request, {
        started: performance.now(),
        requestId: requestIdOf(request),
        graphql: false,
        operationName: null,
        operationType: null,
        operation: 'invalid',
        outcome: null,
        principal: 'anonymous',
      });
    },
    onParams({ request }) {
      const record = records.get(request);
      if (record) record.graphql = true;
    },
    onExecute: ({ args }) => noteOperation(args),
    // A subscription is labelled by its root field too; its request is logged as its stream opens.
    onSubscribe: ({ args }) => noteOperation(args),
    onResponse({ request, response }) {
      const record = records.get(request);
      if (!record?.graphql) return; // GraphiQL's page, health checks and metrics are not operations
      const durationMs = Math.round((performance.now() - record.started) * 100) / 100;
      const outcome = record.outcome ?? (response.status >= 500 ? 'INTERNAL_SERVER_ERROR' : response.status >= 400 ? 'BAD_USER_INPUT' : 'ok');
      metrics.observe(record.operation, outcome, durationMs);
      logger.info(
        {
          requestId: record.requestId,
          operation: record.operation,
          operationName: record.operationName,
          operationType: record.operationType,
          durationMs,
          status: response.status,
          outcome,
          principal: record.principal,
        },
        'graphql request',
      );
    },
  };
}
