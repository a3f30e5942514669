import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Types the CLI's operations (cli/operations/*.graphql) against the printed schema. Only what the operations
 * use is generated, so schema additions the CLI does not query (directives, new types) leave the output alone.
 * Run `npm run codegen` after editing an operation or schema.graphql; a test fails while the output is stale.
 */
const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: 'cli/operations/*.graphql',
  generates: {
    'cli/generated/graphql.ts': {
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        useTypeImports: true,
        enumType: 'string-literal',
        scalars: {
          UUID: 'string',
          DateTime: 'string',
          JSON: 'unknown',
        },
      },
    },
  },
};

export default config;
