/** The CLI's exit codes (SPEC §5); scripts depend on them, so they never change meaning. */
export const ExitCode = {
  Ok: 0,
  Unexpected: 1,
  InvalidInput: 2,
  Unreachable: 3,
  NotFound: 4,
  Unauthorized: 5,
  Conflict: 6,
} as const;
