import { Command, Option } from 'clipanion';
import { describeAge } from '../../cache/read-through.js';
import { fields, outputOption, writeStructured } from '../../client/output.js';
import { ExitCode } from '../../exit-codes.js';
import { RegistryClientCommand } from './base.js';

const CACHE_DETAILS = `
  Each registry (--url, else OMNIBASE_URL) has its own cache file, registry-cache-<host>-<port>-<path>.json,
  under OMNIBASE_CACHE_DIR (default $XDG_CACHE_HOME/omnibase, usually ~/.cache/omnibase). A file that is damaged or was written by another version of the CLI is set
  aside beside it with a warning, and an empty cache starts in its place.
`;

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export class RegistryCacheStatsCommand extends RegistryClientCommand {
  static override paths = [['registry', 'cache', 'stats']];
  static override usage = Command.Usage({
    category: 'Registry',
    description: 'Show what the cache holds: entries, size, hit ratio, last sync',
    details: `
      The hit ratio counts the reads that consulted the cache (--offline, --prefer-offline, and fallbacks
      while the registry was unreachable): a hit is one the cache answered.
      ${CACHE_DETAILS}
    `,
  });

  output = outputOption();

  protected async run(): Promise<number> {
    const stats = await (await this.openCache()).stats();
    if (this.output !== 'human') {
      await writeStructured(this.context.stdout, this.output, stats);
      return ExitCode.Ok;
    }
    const lookups = stats.hits + stats.misses;
    this.context.stdout.write(
      fields([
        ['path', stats.path],
        ['entries', `${stats.entries} (${stats.components} components, ${stats.graphs} graphs)`],
        ['size', formatBytes(stats.bytes)],
        [
          'hit ratio',
          stats.hitRatio === null
            ? 'no lookups yet'
            : `${(stats.hitRatio * 100).toFixed(1)}% (${stats.hits} of ${lookups} lookup${lookups === 1 ? '' : 's'})`,
        ],
        ['last sync', stats.lastSync ? `${stats.lastSync} (${describeAge(Date.parse(stats.lastSync))}), cursor ${stats.cursor ?? 'none'}` : 'never'],
      ]),
    );
    return ExitCode.Ok;
  }
}

export class RegistryCachePurgeCommand extends RegistryClientCommand {
  static override paths = [['registry', 'cache', 'purge']];
  static override usage = Command.Usage({
    category: 'Registry',
    description: 'Empty the cache: entries, counters and the sync cursor',
    details: `
      The next \`omnibase registry sync\` then pulls the whole change feed again.
      ${CACHE_DETAILS}
    `,
  });

  protected async run(): Promise<number> {
    const cache = await this.openCache();
    const purged = await cache.purge();
    this.context.stdout.write(`purged ${purged} entr${purged === 1 ? 'y' : 'ies'} from ${cache.path}\n`);
    return ExitCode.Ok;
  }
}
