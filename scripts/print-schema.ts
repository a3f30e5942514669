// Prints the schema as SDL, with directives, to schema.graphql; `--check` fails instead when the file is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { packageRoot } from '../src/paths.js';
import { schema } from '../src/schema/index.js';

export const schemaFile = join(packageRoot(), 'schema.graphql');

export function printedSchema(): string {
  return `${printSchemaWithDirectives(schema).trim()}\n`;
}

const runDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (runDirectly) {
  const printed = printedSchema();
  if (process.argv.includes('--check')) {
    if (readFileSync(schemaFile, 'utf8') !== printed) {
      console.error('schema.graphql is stale: run npm run schema:print and commit it');
      process.exit(1);
    }
  } else {
    writeFileSync(schemaFile, printed);
    console.log(`wrote ${schemaFile}`);
  }
}
