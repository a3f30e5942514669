import { readFileSync } from 'node:fs';
import { buildSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { printedSchema, schemaFile } from '../../scripts/print-schema.js';

describe('schema.graphql', () => {
  it('matches the schema the code builds (run `npm run schema:print` after a schema change)', () => {
    expect(readFileSync(schemaFile, 'utf8')).toBe(printedSchema());
  });

  it('is valid SDL on its own', () => {
    const schema = buildSchema(readFileSync(schemaFile, 'utf8'));
    expect(Object.keys(schema.getQueryType()!.getFields())).toEqual(['component', 'search', 'changes', 'dependencyGraph']);
    expect(Object.keys(schema.getMutationType()!.getFields())).toEqual(['register', 'registerMany', 'update']);
  });
});
