import { Option } from 'clipanion';
import ms from 'ms';
import * as t from 'typanion';
import { InvalidVersionSpecError } from '../../../src/resolvers/errors.js';
import type { RegistryCache } from '../../cache/store.js';
import type { CacheMode } from '../../cache/read-through.js';
import { RegistryCommand, reportError } from '../../command.js';
import { RegistryUrlError, registryToken, registryUrl } from '../../client/endpoint.js';
import { RegistryClientError, UsageInputError } from '../../client/errors.js';
import { OUTPUT_FORMATS, type OutputFormat } from '../../client/output.js';
import type { RegistryClient } from '../../client/transport.js';
import { ExitCode } from '../../exit-codes.js';

/** Said in every registry command's --help: where it connects, with what, and where it caches. */
export const CONNECTION_DETAILS = `
  The registry is --url, else OMNIBASE_URL, else http://127.0.0.1:4000/graphql. The token is OMNIBASE_TOKEN,
  else the local credential that \`omnibase serve\` writes on this machine. Every answer is stored in the cache
  under OMNIBASE_CACHE_DIR (default $XDG_CACHE_HOME/omnibase).

  Exit codes: 0 ok, 1 unexpected, 2 invalid input, 3 registry unreachable (and nothing usable cached),
  4 not found, 5 unauthenticated or forbidden, 6 conflict.
`;

export const READ_DETAILS = `
  Reads go to the registry first and fall back to the cache when it is unreachable, saying so on stderr with
  the age of the answer. --offline answers from the cache only; --prefer-offline takes a cache entry younger
  than --ttl (default OMNIBASE_CACHE_TTL, else 5m) before asking the registry.
`;

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** "30s", "10m", "2h", "1d", or a bare number of seconds, as milliseconds; anything else is a usage error. */
export function parseDuration(text: string, flag: string): number {
  const value = /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text) * 1000 : ms(text.trim() as ms.StringValue);
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new UsageInputError(`${flag} must be a duration such as 30s, 10m, 2h or 1d (got "${text}")`);
  }
  return value;
}

/** A command that talks to the registry over GraphQL and keeps what it learns in the cache. */
export abstract class RegistryClientCommand extends RegistryCommand {
  url = Option.String('--url', { description: 'The registry GraphQL endpoint (default: $OMNIBASE_URL, else http://127.0.0.1:4000/graphql)' });

  protected get env(): NodeJS.ProcessEnv {
    return this.context.env ?? process.env;
  }

  protected registryUrl(): string {
    return registryUrl(this.url, this.env);
  }

  /** The GraphQL client, loaded on first use so commands answered by the cache never load graphql-request. */
  protected async client(): Promise<RegistryClient> {
    const url = this.registryUrl();
    const [{ RegistryClient }, token] = await Promise.all([import('../../client/transport.js'), registryToken(url, this.env)]);
    return new RegistryClient(url, token);
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

  override async execute(): Promise<number> {
    try {
      return await this.run();
    } catch (error) {
      if (error instanceof RegistryClientError) {
        this.context.stderr.write(`error: ${error.message}\n`);
        return error.exitCode;
      }
      if (error instanceof RegistryUrlError || error instanceof InvalidVersionSpecError) {
        this.context.stderr.write(`error: ${error.message}\n`);
        return ExitCode.InvalidInput;
      }
      return reportError(error, this.context.stderr);
    }
  }
}

/** A registry read: --output, and how it uses the cache. */
export abstract class RegistryReadCommand extends RegistryClientCommand {
  output = Option.String('--output', 'human', {
    description: 'human (tables and trees), json or yaml (stable, the GraphQL field names)',
    validator: t.isEnum(OUTPUT_FORMATS),
  }) as OutputFormat;
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
    return fromEnv ? parseDuration(fromEnv, 'OMNIBASE_CACHE_TTL') : 5 * 60_000;
  }

  protected warn(line: string): void {
    this.context.stderr.write(`${line}\n`);
  }
}
