import { builder } from './builder.js';
import './scalars.js';
import './component.js';
import './search.js';
import './changes.js';

export const schema = builder.toSchema({ sortSchema: false });
