import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generate } from '@graphql-codegen/cli';
import { describe, expect, it } from 'vitest';
import config from '../../codegen.js';
import { packageDir } from './helpers.js';

describe('GraphQL Code Generator output', () => {
  it('is what codegen.ts makes from schema.graphql and cli/operations now (run `npm run codegen` when this fails)', async () => {
    // Generated in memory (false: do not write), then compared with the committed file.
    const outputs: Array<{ filename: string; content: string }> = await generate({ ...config, cwd: packageDir, silent: true }, false);
    expect(outputs.map((output) => output.filename)).toEqual(['cli/generated/graphql.ts']);
    for (const output of outputs) {
      expect(await readFile(join(packageDir, output.filename), 'utf8'), `${output.filename} is stale`).toBe(output.content);
    }
  });
});
