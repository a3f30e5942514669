/**
 * Failures of a registry request. Each is a class of its own; what it means as an exit code is decided in one
 * place, cli/exit-codes.ts.
 */

const HOW_TO_START = 'start it with `omnibase serve`, or point --url or OMNIBASE_URL at a running registry';

/**
 * The registry could not answer: nothing listens at the URL, the request timed out, something that is not
 * the registry answered, or the server reported SERVICE_UNAVAILABLE (its database is down). Reads fall
 * back to the cache. For a write it means the write provably never reached the registry (the connection or
 * the name lookup failed), so nothing changed.
 */
export class RegistryUnreachableError extends Error {
  override readonly name = 'RegistryUnreachableError';
  constructor(
    readonly url: string,
    readonly reason: string,
    write = false,
  ) {
    super(`the registry at ${url} is unreachable (${reason}); ${write ? 'the write was never sent, so nothing changed; ' : ''}${HOW_TO_START}`);
  }
}

/**
 * A write was sent (or may have been) and no answer came: a timeout, a connection cut after the request went
 * out, a gateway's error, or the server saying its database went away. The registry may have applied it.
 */
export class WriteOutcomeUnknownError extends Error {
  override readonly name = 'WriteOutcomeUnknownError';
  constructor(
    readonly url: string,
    readonly reason: string,
    howToCheck: string,
  ) {
    super(
      `the registry at ${url} did not confirm the write (${reason}): it may or may not have been applied. ` +
        `Check with \`${howToCheck}\` (it shows what the registry holds now) before trying again`,
    );
  }
}

export interface RegistryErrorExtensions {
  readonly code?: string;
  readonly [key: string]: unknown;
}

/**
 * A refused write that would strand dependents: the server's message names the first of them and how many in
 * all, and says how to force it in API terms; the CLI says it in its own, with the uuids a script can use.
 */
function strandAdvice(message: string, extensions: RegistryErrorExtensions): string {
  const dependents = Array.isArray(extensions.dependents) ? extensions.dependents.filter((uuid) => typeof uuid === 'string') : [];
  const total = typeof extensions.total === 'number' ? extensions.total : dependents.length;
  const first = dependents.length ? `; ${dependents.length < total ? `the first ${dependents.length} of ${total}` : total === 1 ? 'its uuid' : `all ${total}`}: ${dependents.join(', ')}` : '';
  return `${message.replace(/;? ?pass force: true to make it anyway\.?$/, '')}${first}. --dry-run shows what the write would move and strand; --force makes it anyway`;
}

/** The server's message names what is missing; this adds what to do about it on the command line. */
function withAdvice(message: string, extensions: RegistryErrorExtensions): string {
  if (extensions.code === 'WOULD_STRAND_DEPENDENTS') return strandAdvice(message, extensions);
  if (extensions.code !== 'FORBIDDEN' && extensions.code !== 'UNAUTHENTICATED') return message;
  const capability = typeof extensions.requiredCapability === 'string' ? ` with ${extensions.requiredCapability}` : '';
  return (
    `${message} (the CLI sends OMNIBASE_TOKEN when set, else the local credential \`omnibase serve\` writes on its own ` +
    `machine: set OMNIBASE_TOKEN to a token${capability})`
  );
}

/** The registry answered with a GraphQL error carrying `extensions.code` (SPEC §3). */
export class RegistryResponseError extends Error {
  override readonly name = 'RegistryResponseError';
  readonly code: string;
  constructor(
    message: string,
    readonly extensions: RegistryErrorExtensions,
  ) {
    super(withAdvice(message, extensions));
    this.code = extensions.code ?? 'UNKNOWN';
  }
}

/** A read with --offline that the cache cannot answer. */
export class OfflineError extends Error {
  override readonly name = 'OfflineError';
}

/** The registry has no entry for what was asked. */
export class ComponentNotFoundError extends Error {
  override readonly name = 'ComponentNotFoundError';
}

/** A bad argument found before anything is sent. */
export class UsageInputError extends Error {
  override readonly name = 'UsageInputError';
}
