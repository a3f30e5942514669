export const DEFAULT_REGISTRY_URL = 'http://127.0.0.1:4000/graphql';

/** Thrown for a --url or OMNIBASE_URL that is not an http(s) URL: a usage error, exit 2. */
export class RegistryUrlError extends Error {
  override readonly name = 'RegistryUrlError';
}

/** The GraphQL endpoint: --url, else OMNIBASE_URL, else the quickstart's local server. */
export function registryUrl(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const [url, source] = option?.trim()
    ? [option.trim(), '--url']
    : env.OMNIBASE_URL?.trim()
      ? [env.OMNIBASE_URL.trim(), 'OMNIBASE_URL']
      : [DEFAULT_REGISTRY_URL, 'default'];
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RegistryUrlError(`${source} must be the registry's GraphQL URL, such as ${DEFAULT_REGISTRY_URL} (got "${url}")`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new RegistryUrlError(`${source} must be an http:// or https:// URL, such as ${DEFAULT_REGISTRY_URL} (got "${url}")`);
  }
  return parsed.toString();
}

/**
 * The bearer token for this endpoint: OMNIBASE_TOKEN, else the local credential a server on this machine
 * wrote for it (SPEC §4), else none (anonymous, read-only on loopback).
 */
export async function registryToken(url: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const token = env.OMNIBASE_TOKEN?.trim();
  if (token) return token;
  const { findLocalToken } = await import('../../src/auth/local-credential.js');
  return findLocalToken(url, env);
}
