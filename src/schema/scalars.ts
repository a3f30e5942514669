import { DateTimeResolver, JSONResolver, UUIDResolver } from 'graphql-scalars';
import { builder } from './builder.js';

// Input is validated as graphql-scalars does; output comes from the database's uuid columns and is passed
// through as is, since re-validating every uuid of a large graph costs more than the rest of serialising it.
builder.scalarType('UUID', {
  description: UUIDResolver.description ?? undefined,
  serialize: (value) => value as string,
  parseValue: (value) => UUIDResolver.parseValue(value) as string,
  parseLiteral: (ast) => UUIDResolver.parseLiteral(ast, {}) as string,
  extensions: UUIDResolver.extensions,
});
builder.addScalarType('DateTime', DateTimeResolver);
builder.addScalarType('JSON', JSONResolver);
