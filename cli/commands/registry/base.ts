import { Option } from 'clipanion';
import type { RegistryCache } from '../../cache/store.js';
import type { CacheMode } from '../../cache/read-through.js';
import { RegistryCommand } from '../../command.js';
import { registryToken, registryUrl } from '../../client/endpoint.js';
import { UsageInputError } from '../../client/errors.js';
import { outputOption } from '../../client/output.js';
import type { RegistryClient } from '../../client/transport.js';
import { CLIENT_SETTINGS, DURATION_EXAMPLES, durationMs } from '../../settings.js';

/** Said in every registry command's --help: where it connects, with what, and where it caches. */
export const CONNECTION_DETAILS = `
  The registry is --url, else OMNIBASE_URL, else http://127.0.0.1:4000/graphql. The token is OMNIBASE_TOKEN,
  else the local credential that \`omnibase serve\` writes on this machine. Every answer is stored in the cache
  under OMNIBASE_CACHE_DIR (default $XDG_CACHE_HOME/omnibase). A request gets no answer after
  OMNIBASE_REQUEST_TIMEOUT (default 15s).

  Exit codes: 0 ok, 1 unexpected, 2 invalid input, 3 registry unreachable (and nothing usable cached; for a
  write: never sent, nothing changed), 4 not found, 5 unauthenticated or forbidden, 6 conflict, 7 a write
  sent without an answer (it may or may not have been applied).
`;

export const READ_DETAILS = `
  Reads go to the registry first and fall back to the cache when it is unreachable, saying so on stderr with
  the age of the answer. --offline answers from the cache only; --prefer-offline takes a cache entry younger
  than --ttl (default OMNIBASE_CACHE_TTL, else 5m) before asking the registry.
`;

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A duration given on the command line (--ttl, --interval) in ms; anything else is a usage error. */
export function parseDuration(text: string, flag: string): number {
  const value = durationMs(text);
  if (value === undefined) throw new UsageInputError(`${flag} must be ${DURATION_EXAMPLES} (got "${text}")`);
  return value;
}

/** A command that talks to the registry over GraphQL and keeps what it learns in the cache. */
export abstract class RegistryClientCommand extends RegistryCommand {
  static override settings = CLIENT_SETTINGS;

  url = Option.String('--url', { description: 'The registry GraphQL endpoint (default: $OMNIBASE_URL, else http://127.0.0.1:4000/graphql)' });

  protected registryUrl(): string {
    return registryUrl(this.url, this.env);
  }

  /** The GraphQL client, loaded on first use so commands answered by the cache never load graphql-request. */
  protected async client(): Promise<RegistryClient> {
    const url = this.registryUrl();
    const [{ RegistryClient }, token] = await Promise.all([import('../../client/transport.js'), registryToken(url, this.env)]);
    const timeout = this.env.OMNIBASE_REQUEST_TIMEOUT?.trim();
    return new RegistryClient(url, token, timeout ? durationMs(timeout) : undefined);
  }

  private cachePromise: Promise<RegistryCache> | undefined;

  /** This registry's cache, opened on first use: a write that fails never opens (or changes) it. */
  protected openCache(): Promise<RegistryCache> {
    const url = this.registryUrl();
    this.cachePromise ??= import('../../cache/store.js').then(({ RegistryCache, cacheDir }) =>
      RegistryCache.open(cacheDir(this.env), url, (line) => this.context.stderr.write(`${line}\n`)),
    );
    return this.cachePromise;
  }
}

/** A registry read: --output, and how it uses the cache. */
export abstract class RegistryReadCommand extends RegistryClientCommand {
  output = outputOption();
  offline = Option.Boolean('--offline', false, { description: 'Answer from the cache only; never touch the network' });
  preferOffline = Option.Boolean('--prefer-offline', false, { description: 'Use a cache entry younger than --ttl before asking the registry' });
  ttl = Option.String('--ttl', { description: 'How old a cache entry --prefer-offline accepts (default $OMNIBASE_CACHE_TTL, else 5m)' });

  protected cacheMode(): CacheMode {
    if (this.offline && this.preferOffline) throw new UsageInputError('--offline and --prefer-offline exclude each other; choose one');
    return this.offline ? 'offline' : this.preferOffline ? 'prefer-offline' : 'online';
  }

  protected ttlMs(): number {
    if (this.ttl !== undefined) return parseDuration(this.ttl, '--ttl');
    const fromEnv = this.env.OMNIBASE_CACHE_TTL?.trim();
    return fromEnv ? durationMs(fromEnv)! : 5 * 60_000;
  }

  protected warn(line: string): void {
    this.context.stderr.write(`${line}\n`);
  }
}
