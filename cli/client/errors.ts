import { ExitCode } from '../exit-codes.js';

/** Failures of a registry request, mapped to the CLI's exit codes (SPEC §5). */
export abstract class RegistryClientError extends Error {
  abstract readonly exitCode: number;
}

/**
 * The registry could not answer: nothing listens at the URL, the request timed out, something that is not
 * the registry answered, or the server reported SERVICE_UNAVAILABLE (its database is down). Reads fall
 * back to the cache; writes stop with exit 3.
 */
export class RegistryUnreachableError extends RegistryClientError {
  override readonly name = 'RegistryUnreachableError';
  readonly exitCode = ExitCode.Unreachable;
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(
      `the registry at ${url} is unreachable (${reason}); start it with \`omnibase serve\`, or point --url or ` +
        'OMNIBASE_URL at a running registry',
    );
  }
}

/** What the CLI does with each `extensions.code` the server sends. */
const EXIT_CODES: Record<string, number> = {
  NOT_FOUND: ExitCode.NotFound,
  UNAUTHENTICATED: ExitCode.Unauthorized,
  FORBIDDEN: ExitCode.Unauthorized,
  ALREADY_EXISTS: ExitCode.Conflict,
  REVISION_CONFLICT: ExitCode.Conflict,
  DEPENDENCY_CYCLE: ExitCode.Conflict,
  // The patch asks for something no state of the registry allows (a new uuid, name or version): retrying
  // after a re-read cannot help, unlike a conflict, so it is invalid input.
  IMMUTABLE_FIELD: ExitCode.InvalidInput,
  METADATA_VALIDATION_ERROR: ExitCode.InvalidInput,
  INVALID_VERSION_SPEC: ExitCode.InvalidInput,
  BAD_USER_INPUT: ExitCode.InvalidInput,
};

export interface RegistryErrorExtensions {
  readonly code?: string;
  readonly [key: string]: unknown;
}

/** The server's message names what is missing; this adds where the CLI takes its token from. */
function withAdvice(message: string, extensions: RegistryErrorExtensions): string {
  if (extensions.code !== 'FORBIDDEN' && extensions.code !== 'UNAUTHENTICATED') return message;
  const capability = typeof extensions.requiredCapability === 'string' ? ` with ${extensions.requiredCapability}` : '';
  return (
    `${message} (the CLI sends OMNIBASE_TOKEN when set, else the local credential \`omnibase serve\` writes on its own ` +
    `machine: set OMNIBASE_TOKEN to a token${capability})`
  );
}

/** The registry answered with a GraphQL error carrying `extensions.code` (SPEC §3). */
export class RegistryResponseError extends RegistryClientError {
  override readonly name = 'RegistryResponseError';
  readonly code: string;
  readonly exitCode: number;
  constructor(
    message: string,
    readonly extensions: RegistryErrorExtensions,
  ) {
    super(withAdvice(message, extensions));
    this.code = extensions.code ?? 'UNKNOWN';
    this.exitCode = EXIT_CODES[this.code] ?? ExitCode.Unexpected;
  }
}

/** A read with --offline (or a write while offline) that the cache cannot answer. */
export class OfflineError extends RegistryClientError {
  override readonly name = 'OfflineError';
  readonly exitCode = ExitCode.Unreachable;
}

/** The registry has no entry for what was asked: exit 4. */
export class ComponentNotFoundError extends RegistryClientError {
  override readonly name = 'ComponentNotFoundError';
  readonly exitCode = ExitCode.NotFound;
}

/** A bad argument found before anything is sent: exit 2. */
export class UsageInputError extends RegistryClientError {
  override readonly name = 'UsageInputError';
  readonly exitCode = ExitCode.InvalidInput;
}
