import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { Option } from 'clipanion';
import { RegistryResponseError, UsageInputError } from '../../client/errors.js';

/** The merge patch of `registry update` and `registry impact`: a YAML or JSON file, or stdin for `-`. */
export async function readPatch(argument: string, stdin: Readable): Promise<unknown> {
  const { parseMetadataText } = await import('../../../src/metadata/parse.js');
  const source = argument === '-' ? 'stdin' : argument;
  let raw: string;
  try {
    raw = argument === '-' ? await text(stdin) : await readFile(argument, 'utf8');
  } catch (error) {
    throw new UsageInputError(`cannot read the patch from ${source}: ${(error as Error).message}`);
  }
  try {
    return parseMetadataText(raw, source);
  } catch (error) {
    throw new UsageInputError(`the patch in ${source} is not one YAML or JSON document: ${(error as Error).message}`);
  }
}

export const dryRunOption = () =>
  Option.Boolean('--dry-run', false, { description: 'Make every check and show what the write would change (the impact); write nothing' });

export const forceOption = () =>
  Option.Boolean('--force', false, { description: 'Write even when it leaves dependents that are not retired with an unresolved dependency' });

/** What a dry run answered, and the refusal the write itself would meet for stranding dependents. */
export interface DryRunAnswer<T> {
  readonly answer: T;
  readonly refusal?: RegistryResponseError;
}

/**
 * A dry run is refused like the write when it would strand dependents and is not forced: then it is asked again
 * with force, so that the answer still shows the impact (what it would strand), with the refusal beside it.
 */
export async function dryRunAnswer<T>(send: (force: boolean) => Promise<T>, force: boolean): Promise<DryRunAnswer<T>> {
  try {
    return { answer: await send(force) };
  } catch (error) {
    if (force || !(error instanceof RegistryResponseError) || error.code !== 'WOULD_STRAND_DEPENDENTS') throw error;
    return { answer: await send(true), refusal: error };
  }
}
