import { Command, Option } from 'clipanion';
import { RegistryUnreachableError } from '../../client/errors.js';
import type { ComponentFieldsFragment } from '../../generated/graphql.js';
import { ExitCode } from '../../exit-codes.js';
import { CONNECTION_DETAILS, RegistryClientCommand, parseDuration } from './base.js';

/** The change feed's largest page. */
const PAGE_SIZE = 500;

export class RegistrySyncCommand extends RegistryClientCommand {
  static override paths = [['registry', 'sync']];
  static override usage = Command.Usage({
    category: 'Registry',
    description: "Bring the cache up to date with the registry's change feed",
    details: `
      Pulls every register and update committed since the last sync (from the beginning the first time) and
      stores each changed component as it is now, with the feed's cursor, page by page: an interrupted sync
      resumes where it stopped. --watch repeats it every --interval (default 60s) until Ctrl-C, riding out
      moments when the registry is unreachable; \`omnibase registry cache stats\` shows the last sync.
      ${CONNECTION_DETAILS}
    `,
    examples: [
      ['Sync once', '$0 registry sync'],
      ['Keep the cache fresh in the background', '$0 registry sync --watch --interval 5m'],
    ],
  });

  watch = Option.Boolean('--watch', false, { description: 'Repeat until interrupted' });
  interval = Option.String('--interval', '60s', { description: 'Time between syncs with --watch (30s, 5m, 1h)' });

  protected async run(): Promise<number> {
    const intervalMs = parseDuration(this.interval, '--interval');
    if (!this.watch) {
      await this.syncOnce();
      return ExitCode.Ok;
    }
    const stopped = untilSignal();
    try {
      for (;;) {
        try {
          await this.syncOnce();
        } catch (error) {
          if (!(error instanceof RegistryUnreachableError)) throw error;
          this.context.stderr.write(`warning: ${error.message}; trying again in ${this.interval}\n`);
        }
        const timer = delay(intervalMs);
        const signal = await Promise.race([stopped.promise, timer.promise]);
        timer.cancel();
        if (signal) {
          this.context.stderr.write(`stopped by ${signal}\n`);
          return ExitCode.Ok;
        }
      }
    } finally {
      stopped.remove();
    }
  }

  /** Pulls the feed from the stored cursor to its end, storing each page with the cursor after it. */
  private async syncOnce(): Promise<void> {
    const client = await this.client();
    const cache = await this.openCache();
    const { ChangesDocument } = await import('../../generated/graphql.js');
    let cursor = (await cache.syncState())?.cursor ?? null;
    let changes = 0;
    const updated = new Set<string>();
    for (;;) {
      const { changes: page } = await client.request(ChangesDocument, { after: cursor, first: PAGE_SIZE });
      // A component changed twice on one page is stored once, as the feed gives it now.
      const components = new Map<string, ComponentFieldsFragment>(page.edges.map(({ node }) => [node.uuid, node.component]));
      cursor = page.pageInfo.endCursor ?? cursor;
      await cache.storeComponents([...components.values()], Date.now(), { cursor, lastSync: Date.now() });
      changes += page.edges.length;
      for (const uuid of components.keys()) updated.add(uuid);
      if (!page.pageInfo.hasNextPage) break;
    }
    this.context.stdout.write(
      `synced ${changes} change${changes === 1 ? '' : 's'} (${updated.size} component${updated.size === 1 ? '' : 's'}) from ${client.url}; cursor ${cursor ?? 'none'}\n`,
    );
  }
}

function delay(ms: number): { promise: Promise<undefined>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

/** The first SIGINT or SIGTERM while watching; `remove` restores the default handling. */
function untilSignal(): { promise: Promise<NodeJS.Signals>; remove(): void } {
  let stop: (signal: NodeJS.Signals) => void = () => {};
  const promise = new Promise<NodeJS.Signals>((resolve) => {
    stop = resolve;
  });
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return {
    promise,
    remove: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}
