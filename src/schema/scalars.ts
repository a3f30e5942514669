import { DateTimeResolver, JSONResolver, UUIDResolver } from 'graphql-scalars';
import { builder } from './builder.js';

builder.addScalarType('UUID', UUIDResolver);
builder.addScalarType('DateTime', DateTimeResolver);
builder.addScalarType('JSON', JSONResolver);
