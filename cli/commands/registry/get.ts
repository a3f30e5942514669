import { Command, Option } from 'clipanion';
import { readThrough } from '../../cache/read-through.js';
import { ComponentNotFoundError, UsageInputError } from '../../client/errors.js';
import { describeComponent, writeStructured } from '../../client/output.js';
import type { ComponentFieldsFragment } from '../../generated/graphql.js';
import { ExitCode } from '../../exit-codes.js';
import { AS_OF_DETAILS, asOfOption, parseAsOf } from './as-of.js';
import { CONNECTION_DETAILS, READ_DETAILS, RegistryReadCommand, UUID_PATTERN } from './base.js';

const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,127}$/;

/** What `registry get` was asked for: a uuid, or a name and an npm range ("*" when none or an empty one is given, as in npm). */
export type ComponentReference = { uuid: string } | { name: string; versionSpec: string };

export function parseReference(text: string): ComponentReference {
  if (UUID_PATTERN.test(text)) return { uuid: text.toLowerCase() };
  const at = text.indexOf('@');
  const [name, versionSpec] = at === -1 ? [text, '*'] : [text.slice(0, at), text.slice(at + 1).trim() || '*'];
  if (!NAME_PATTERN.test(name)) {
    throw new UsageInputError(`"${text}" is neither a uuid nor a component name[@range] (such as yaml-lint@^1.4)`);
  }
  return { name, versionSpec };
}

export class RegistryGetCommand extends RegistryReadCommand {
  static override paths = [['registry', 'get']];
  static override usage = Command.Usage({
    category: 'Registry',
    description: 'Show one component version, by uuid or by name and npm version range',
    details: `
      By name, the version chosen is the highest that satisfies the range (default *) and is not retired, as
      the registry chooses it; offline, the same rule runs over the cached versions.
      ${READ_DETAILS}
      ${AS_OF_DETAILS}
      ${CONNECTION_DETAILS}
    `,
    examples: [
      ['By uuid', '$0 registry get 6f1c2a9e-1111-4222-8333-444455556666'],
      ['The version yaml-lint@^1 chose at nine this morning', '$0 registry get yaml-lint@^1 --as-of 2026-11-30T09:00:00Z'],
      ['The newest 1.x of yaml-lint, as JSON', '$0 registry get yaml-lint@^1 --output json'],
      ['From the cache, without the network', '$0 registry get yaml-lint --offline'],
    ],
  });

  reference = Option.String({ name: 'uuid | name[@range]' });
  asOf = asOfOption();

  protected async run(): Promise<number> {
    const reference = parseReference(this.reference);
    const mode = this.cacheMode();
    if (this.asOf !== undefined) return this.runAsOf(reference, parseAsOf(this.asOf, mode === 'offline'));
    const ttlMs = this.ttlMs();
    const { value } = await readThrough<ComponentFieldsFragment | null>({
      mode,
      ttlMs,
      subject: 'uuid' in reference ? `component ${reference.uuid}` : `version of ${reference.name} matching "${reference.versionSpec}"`,
      openCache: () => this.openCache(),
      lookup: async (cache) => {
        if ('uuid' in reference) return cache.component(reference.uuid);
        const { resolveCached } = await import('../../cache/offline.js');
        return resolveCached(await cache.componentsNamed(reference.name), reference.name, reference.versionSpec);
      },
      fetch: async () => {
        const client = await this.client();
        const { ComponentByNameDocument, ComponentByUuidDocument } = await import('../../generated/graphql.js');
        const data =
          'uuid' in reference
            ? await client.request(ComponentByUuidDocument, { uuid: reference.uuid })
            : await client.request(ComponentByNameDocument, { name: reference.name, versionSpec: reference.versionSpec });
        return data.component;
      },
      store: async (cache, component) => {
        if (component) await cache.storeComponents([component]);
      },
      warn: (line) => this.warn(line),
    });
    if (!value) {
      throw new ComponentNotFoundError(
        'uuid' in reference
          ? `no component has uuid ${reference.uuid} in the registry at ${this.registryUrl()}`
          : `no version of ${reference.name} satisfies "${reference.versionSpec}" in the registry at ${this.registryUrl()} ` +
            '(retired versions are never chosen by a range; `omnibase registry ls --text <name>` lists what exists)',
      );
    }
    return this.show(value);
  }

  /** The component as the registry stood at `asOf`, asked of the registry alone: the cache holds the present only. */
  private async runAsOf(reference: ComponentReference, asOf: string): Promise<number> {
    const client = await this.client();
    const { ComponentByNameAsOfDocument, ComponentByUuidAsOfDocument } = await import('../../generated/graphql.js');
    const data =
      'uuid' in reference
        ? await client.request(ComponentByUuidAsOfDocument, { uuid: reference.uuid, asOf })
        : await client.request(ComponentByNameAsOfDocument, { name: reference.name, versionSpec: reference.versionSpec, asOf });
    if (!data.component) {
      throw new ComponentNotFoundError(
        'uuid' in reference
          ? `no component had uuid ${reference.uuid} at ${asOf} in the registry at ${this.registryUrl()}`
          : `no version of ${reference.name} satisfied "${reference.versionSpec}" at ${asOf} in the registry at ${this.registryUrl()} ` +
            '(retired versions are never chosen by a range)',
      );
    }
    return this.show(data.component);
  }

  private async show(component: ComponentFieldsFragment): Promise<number> {
    if (this.output === 'human') this.context.stdout.write(describeComponent(component));
    else await writeStructured(this.context.stdout, this.output, component);
    return ExitCode.Ok;
  }
}
