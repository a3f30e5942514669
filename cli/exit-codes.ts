/** The CLI's exit codes (SPEC §5); scripts depend on them, so they never change meaning. */
export const ExitCode = {
  Ok: 0,
  Unexpected: 1,
  InvalidInput: 2,
  Unreachable: 3,
  NotFound: 4,
  Unauthorized: 5,
  Conflict: 6,
  /** A write was sent and no answer came: it may or may not have been applied. */
  OutcomeUnknown: 7,
} as const;

/**
 * What each registry error code means for the CLI: `extensions.code` as the server sends it, and the `code` of
 * the registry's own errors where a command runs them in-process (the token commands).
 */
const BY_REGISTRY_CODE: Readonly<Record<string, number>> = {
  NOT_FOUND: ExitCode.NotFound,
  UNAUTHENTICATED: ExitCode.Unauthorized,
  FORBIDDEN: ExitCode.Unauthorized,
  ALREADY_EXISTS: ExitCode.Conflict,
  REVISION_CONFLICT: ExitCode.Conflict,
  DEPENDENCY_CYCLE: ExitCode.Conflict,
  WOULD_STRAND_DEPENDENTS: ExitCode.Conflict,
  // The patch asks for something no state of the registry allows (a new uuid, name or version): retrying
  // after a re-read cannot help, unlike a conflict, so it is invalid input.
  IMMUTABLE_FIELD: ExitCode.InvalidInput,
  METADATA_VALIDATION_ERROR: ExitCode.InvalidInput,
  INVALID_VERSION_SPEC: ExitCode.InvalidInput,
  BAD_USER_INPUT: ExitCode.InvalidInput,
};

/**
 * Every other failure a user can meet, by class name: matching names keeps this module from loading the
 * classes, most of which only the commands that meet them load (the validator, the database).
 */
const BY_ERROR_NAME: Readonly<Record<string, number>> = {
  UsageInputError: ExitCode.InvalidInput,
  RegistryUrlError: ExitCode.InvalidInput,
  SettingError: ExitCode.InvalidInput,
  DatabaseConfigError: ExitCode.InvalidInput,
  ShutdownConfigError: ExitCode.InvalidInput,
  ResponseCacheConfigError: ExitCode.InvalidInput,
  StreamConfigError: ExitCode.InvalidInput,
  AuthConfigError: ExitCode.InvalidInput,
  MetadataParseError: ExitCode.InvalidInput,
  MetadataValidationError: ExitCode.InvalidInput,
  PendingMigrationsError: ExitCode.InvalidInput,
  RegistryUnreachableError: ExitCode.Unreachable,
  OfflineError: ExitCode.Unreachable,
  DatabaseUnreachableError: ExitCode.Unreachable,
  ComponentNotFoundError: ExitCode.NotFound,
  WriteOutcomeUnknownError: ExitCode.OutcomeUnknown,
};

/** Failures of the machine or the database, not of the code: exit 1, but their stack would only be noise. */
const OPERATIONAL = new Set(['MigrationFailedError', 'DataDirInUseError']);

function codeOf(error: Error): unknown {
  return (error as { code?: unknown }).code;
}

/** The one mapping from an error to the exit code it means, for every command. */
export function exitCodeOf(error: unknown): number {
  if (!(error instanceof Error)) return ExitCode.Unexpected;
  const code = codeOf(error);
  if (typeof code === 'string' && code in BY_REGISTRY_CODE) return BY_REGISTRY_CODE[code]!;
  return BY_ERROR_NAME[error.name] ?? ExitCode.Unexpected;
}

/**
 * True for an error that is a bug in the CLI or the registry: none of the above, and no system or SQLSTATE
 * `code` (ECONNRESET, 42P01) that would say the machine or the database failed. Its stack goes with it.
 */
export function isBug(error: unknown): boolean {
  if (!(error instanceof Error)) return true;
  return exitCodeOf(error) === ExitCode.Unexpected && !OPERATIONAL.has(error.name) && typeof codeOf(error) !== 'string';
}
