import { Command, Option } from 'clipanion';
import type { StreamOutcome } from '../../client/change-stream.js';
import { registryToken } from '../../client/endpoint.js';
import { RegistryUnreachableError } from '../../client/errors.js';
import type { ComponentFieldsFragment } from '../../generated/graphql.js';
import { ExitCode } from '../../exit-codes.js';
import { CONNECTION_DETAILS, RegistryClientCommand, parseDuration } from './base.js';

/** The change feed's largest page. */
const PAGE_SIZE = 500;

/** How soon a stream that ended (a server draining, a lost connection) is followed again, at most. */
const RESUME_AFTER_MS = 1_000;

export class RegistrySyncCommand extends RegistryClientCommand {
  static override paths = [['registry', 'sync']];
  static override usage = Command.Usage({
    category: 'Registry',
    description: "Bring the cache up to date with the registry's change feed",
    details: `
      Pulls every register and update committed since the last sync (from the beginning the first time) and
      stores each changed component as it is now, with the feed's cursor, page by page: an interrupted sync
      resumes where it stopped. --watch then follows the registry's live change stream, storing each change as
      it commits, until Ctrl-C; when the stream ends it syncs again and follows anew from the stored cursor. A
      registry without a stream (or one that refuses another) is polled every --interval (default 60s) instead.
      --watch rides out moments when the registry is unreachable, trying again every --interval;
      \`omnibase registry cache stats\` shows the last sync.
      ${CONNECTION_DETAILS}
    `,
    examples: [
      ['Sync once', '$0 registry sync'],
      ['Keep the cache fresh in the background', '$0 registry sync --watch --interval 5m'],
    ],
  });

  watch = Option.Boolean('--watch', false, { description: 'Follow the change stream (or poll) until interrupted' });
  interval = Option.String('--interval', '60s', { description: 'Time between syncs with --watch when polling (30s, 5m, 1h)' });

  protected async run(): Promise<number> {
    const intervalMs = parseDuration(this.interval, '--interval');
    if (!this.watch) {
      await this.syncOnce();
      return ExitCode.Ok;
    }
    const stopped = untilSignal();
    // Until the registry shows it has no stream to offer.
    let streams = true;
    try {
      for (;;) {
        let waitMs = intervalMs;
        try {
          const cursor = await this.syncOnce();
          if (streams) {
            const outcome = await this.follow(cursor, stopped.promise);
            if (outcome.kind === 'stopped') {
              this.context.stderr.write(`stopped by ${await stopped.promise}\n`);
              return ExitCode.Ok;
            }
            if (outcome.kind === 'unsupported') {
              streams = false;
              this.context.stderr.write(`note: ${this.registryUrl()} offers no change stream (${outcome.reason}); polling every ${this.interval}\n`);
            } else if (outcome.kind === 'refused') {
              this.context.stderr.write(`warning: ${outcome.reason}; polling, and trying the stream again in ${this.interval}\n`);
            } else {
              this.context.stderr.write(`warning: the change stream ended (${outcome.reason}); syncing again\n`);
              waitMs = Math.min(intervalMs, RESUME_AFTER_MS);
            }
          }
        } catch (error) {
          if (!(error instanceof RegistryUnreachableError)) throw error;
          this.context.stderr.write(`warning: ${error.message}; trying again in ${this.interval}\n`);
        }
        const timer = delay(waitMs);
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

  /** Pulls the feed from the stored cursor to its end, storing each page with the cursor after it; returns that cursor. */
  private async syncOnce(): Promise<string | null> {
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
    this.reportSynced(changes, updated.size, cursor);
    return cursor;
  }

  /** Follows the live stream from `cursor`, storing what arrives as it arrives, until it ends or a signal stops it. */
  private async follow(cursor: string | null, stop: Promise<unknown>): Promise<StreamOutcome> {
    const url = this.registryUrl();
    const cache = await this.openCache();
    const [{ followChanges }, token] = await Promise.all([import('../../client/change-stream.js'), registryToken(url, this.env)]);
    return followChanges({
      url,
      token,
      after: cursor,
      stop,
      onChanges: async (changes) => {
        const components = new Map<string, ComponentFieldsFragment>(changes.map((change) => [change.uuid, change.component]));
        const last = changes.at(-1)!.sequence;
        await cache.storeComponents([...components.values()], Date.now(), { cursor: last, lastSync: Date.now() });
        this.reportSynced(changes.length, components.size, last);
      },
    });
  }

  private reportSynced(changes: number, components: number, cursor: string | null): void {
    this.context.stdout.write(
      `synced ${changes} change${changes === 1 ? '' : 's'} (${components} component${components === 1 ? '' : 's'}) from ${this.registryUrl()}; cursor ${cursor ?? 'none'}\n`,
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
