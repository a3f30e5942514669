#!/usr/bin/env node
// graphql-js reads NODE_ENV once, when first loaded: outside production it checks every type test against
// duplicate copies of itself, which costs a third of the execution time of a large response.
process.env.NODE_ENV ??= 'production';
const { runCli } = await import('./run.js');

process.exitCode = await runCli(process.argv.slice(2));
