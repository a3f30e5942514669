import { specifiedDirectives } from 'graphql';
import { builder } from './builder.js';
import { requiresCapabilityDirective } from './capabilities.js';
import './scalars.js';
import './component.js';
import './search.js';
import './changes.js';
import './graph.js';
import './mutations.js';

export const schema = builder.toSchema({ sortSchema: false, directives: [...specifiedDirectives, requiresCapabilityDirective] });
