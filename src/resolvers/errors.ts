/**
 * The registry's own failures. Each carries the code a client sees in `extensions.code` and any detail a
 * client can act on; the schema layer maps them to GraphQL errors in one place.
 */
export abstract class RegistryError extends Error {
  abstract readonly code: string;
  /** Extra fields for `extensions`, beside `code`. */
  details(): Record<string, unknown> {
    return {};
  }
}

export class NotFoundError extends RegistryError {
  override readonly name = 'NotFoundError';
  readonly code = 'NOT_FOUND';
}

export class AlreadyExistsError extends RegistryError {
  override readonly name = 'AlreadyExistsError';
  readonly code = 'ALREADY_EXISTS';
  constructor(
    message: string,
    readonly existingUuid: string,
  ) {
    super(message);
  }
  override details() {
    return { existingUuid: this.existingUuid };
  }
}

export class RevisionConflictError extends RegistryError {
  override readonly name = 'RevisionConflictError';
  readonly code = 'REVISION_CONFLICT';
  constructor(
    readonly expectedRevision: number,
    readonly currentRevision: number,
  ) {
    super(`expected revision ${expectedRevision}, but the component is at revision ${currentRevision}; re-read it and retry`);
  }
  override details() {
    return { currentRevision: this.currentRevision, expectedRevision: this.expectedRevision };
  }
}

export class ImmutableFieldError extends RegistryError {
  override readonly name = 'ImmutableFieldError';
  readonly code = 'IMMUTABLE_FIELD';
  constructor(readonly field: string) {
    super(`${field} cannot change after registration; register a new version instead`);
  }
  override details() {
    return { field: this.field };
  }
}

export class InvalidVersionSpecError extends RegistryError {
  override readonly name = 'InvalidVersionSpecError';
  readonly code = 'INVALID_VERSION_SPEC';
  constructor(readonly versionSpec: string) {
    super(`"${versionSpec}" is not a valid npm version range (examples: 1.4.2, ^1.4.0, >=1 <2, *)`);
  }
  override details() {
    return { versionSpec: this.versionSpec };
  }
}

export class BadUserInputError extends RegistryError {
  override readonly name = 'BadUserInputError';
  readonly code = 'BAD_USER_INPUT';
  constructor(
    message: string,
    readonly argument?: string,
  ) {
    super(message);
  }
  override details() {
    return this.argument ? { argument: this.argument } : {};
  }
}

export class DependencyCycleError extends RegistryError {
  override readonly name = 'DependencyCycleError';
  readonly code = 'DEPENDENCY_CYCLE';
  /**
   * @param cycle the closed path of uuids, first and last the same
   * @param labels name@version of each uuid on it, for the message
   */
  constructor(
    readonly cycle: string[],
    labels: ReadonlyMap<string, string>,
  ) {
    const path = cycle.map((uuid) => labels.get(uuid) ?? uuid).join(' → ');
    super(`this change would put the component on a dependency cycle: ${path}`);
  }
  override details() {
    return { cycle: this.cycle };
  }
}

export class WouldStrandDependentsError extends RegistryError {
  override readonly name = 'WouldStrandDependentsError';
  readonly code = 'WOULD_STRAND_DEPENDENTS';
  /**
   * @param dependents the first of the dependents left with an unresolved dependency, by uuid
   * @param total how many there are in all
   * @param labels name@version of each of the first, for the message
   */
  constructor(
    readonly dependents: string[],
    readonly total: number,
    labels: readonly string[],
  ) {
    const named = labels.join(', ') + (total > labels.length ? ` and ${total - labels.length} more` : '');
    super(
      `this change would leave ${total} ${total === 1 ? 'dependent' : 'dependents'} that ${total === 1 ? 'is' : 'are'} not retired ` +
        `with a dependency nothing satisfies (${named}); pass force: true to make it anyway`,
    );
  }
  override details() {
    return { dependents: this.dependents, total: this.total };
  }
}
