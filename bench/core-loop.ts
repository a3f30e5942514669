import { randomUUID } from 'node:crypto';
import { graphql, percentiles, startServer, type Engine, type Percentiles } from './support.js';

const REGISTER = `mutation($m: JSON!) { register(metadata: $m) { registered uuid } }`;
const LOOKUP = `query($u: UUID!) { component(uuid: $u) { uuid name version lifecycle tags metadata } }`;
const TAGS = ['yaml', 'json', 'lint', 'schema', 'canary', 'security', 'perf', 'docs'];

export interface CoreLoopResult {
  readonly engine: Engine;
  readonly components: number;
  readonly register: Percentiles;
  readonly lookup: Percentiles;
}

/** One client, one request at a time: register `count` components, then look each up by uuid. */
export async function coreLoop(engine: Engine, count: number): Promise<CoreLoopResult> {
  const server = await startServer(engine);
  try {
    const uuids: string[] = [];
    const registerMs: number[] = [];
    for (let index = 0; index < count; index += 1) {
      const document = {
        schema_version: '0.3',
        uuid: randomUUID(),
        name: `component-${index % 2500}`,
        version: `1.${Math.floor(index / 2500)}.0`,
        type: (['validator', 'tool', 'test'] as const)[index % 3],
        lifecycle: 'active',
        description: `Benchmark component number ${index}, checks documents of kind ${index % 17}`,
        owner: `team-${index % 20}`,
        tags: [TAGS[index % TAGS.length]!, TAGS[(index * 7 + 3) % TAGS.length]!].filter((tag, i, all) => all.indexOf(tag) === i),
      };
      const started = performance.now();
      await graphql(server.url, REGISTER, { m: document });
      registerMs.push(performance.now() - started);
      uuids.push(document.uuid);
    }
    const lookupMs: number[] = [];
    for (let round = 0; round < count; round += 1) {
      const uuid = uuids[(round * 7919) % uuids.length]!;
      const started = performance.now();
      await graphql(server.url, LOOKUP, { u: uuid });
      lookupMs.push(performance.now() - started);
    }
    return { engine, components: count, register: percentiles(registerMs), lookup: percentiles(lookupMs) };
  } finally {
    await server.stop();
  }
}
