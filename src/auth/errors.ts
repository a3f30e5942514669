import { RegistryError } from '../resolvers/errors.js';
import type { Capability, Principal } from './principal.js';

/** The request carried a token that is malformed, unknown or revoked, or it needs one and has none. */
export class AuthenticationError extends RegistryError {
  override readonly name = 'AuthenticationError';
  readonly code = 'UNAUTHENTICATED';
}

/**
 * The principal lacks the capability a field requires. Without a token the fix is to present one, so
 * anonymous requests read UNAUTHENTICATED; a token that lacks the capability reads FORBIDDEN.
 */
export class CapabilityError extends RegistryError {
  override readonly name = 'CapabilityError';
  readonly code: 'UNAUTHENTICATED' | 'FORBIDDEN';
  constructor(
    principal: Principal,
    readonly requiredCapability: Capability,
  ) {
    super(
      principal.anonymous
        ? `this operation requires the ${requiredCapability} capability: send a token that has it as "Authorization: Bearer <token>"`
        : `token "${principal.name}" lacks the ${requiredCapability} capability; create a token with it (omnibase token create --capability ${requiredCapability})`,
    );
    this.code = principal.anonymous ? 'UNAUTHENTICATED' : 'FORBIDDEN';
  }
  override details() {
    return { requiredCapability: this.requiredCapability };
  }
}
