/** The two capabilities a request can hold (SPEC §4). */
export const CAPABILITIES = ['REGISTRY_READ', 'REGISTRY_WRITE'] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** Who a request acts as, and what it may do. Anonymous requests have no token. */
export interface Principal {
  /** `token:<id>` for a token, `anonymous` without one; recorded as the actor in history. */
  readonly id: string;
  readonly name: string;
  readonly capabilities: ReadonlySet<Capability>;
  readonly anonymous: boolean;
}

export function isCapability(value: string): value is Capability {
  return (CAPABILITIES as readonly string[]).includes(value);
}
