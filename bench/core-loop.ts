import { randomUUID } from 'node:crypto';
import { graphql, percentiles, startServer, type Engine, type Percentiles } from './support.js';

const REGISTER = `mutation($m: JSON!) { register(metadata: $m) { registered uuid } }`;
const LOOKUP = `query($u: UUID!) { component(uuid: $u) { uuid name version lifecycle tags metadata } }`;
const GRAPH = `query($r: UUID!) { dependencyGraph(root: $r) { nodes { depth component { uuid name version } } edges { from to versionSpec } isDag } }`;
const TAGS = ['yaml', 'json', 'lint', 'schema', 'canary', 'security', 'perf', 'docs'];

export interface CoreLoopResult {
  readonly engine: Engine;
  readonly components: number;
  readonly register: Percentiles;
  readonly lookup: Percentiles;
  readonly graph: Percentiles;
  /** register ⇒ lookup ⇒ dependencyGraph, the three round trips one after the other. */
  readonly loop: Percentiles;
}

/**
 * One client, one request at a time: `count` times, register a component (depending on the one before it
 * by range, so each graph has a few levels), look it up by uuid, and ask for its dependency graph.
 */
export async function coreLoop(engine: Engine, count: number): Promise<CoreLoopResult> {
  const server = await startServer(engine);
  try {
    const token = await server.token();
    const samples = { register: [] as number[], lookup: [] as number[], graph: [] as number[], loop: [] as number[] };
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
        // A chain of ranges, cut every 8 components so graphs stay a few levels deep.
        ...(index % 8 === 0 ? {} : { dependencies: [{ name: `component-${(index - 1) % 2500}`, version_spec: '^1' }] }),
      };
      const started = performance.now();
      await graphql(server.url, REGISTER, { m: document }, token);
      const registered = performance.now();
      await graphql(server.url, LOOKUP, { u: document.uuid });
      const looked = performance.now();
      await graphql(server.url, GRAPH, { r: document.uuid });
      const done = performance.now();
      samples.register.push(registered - started);
      samples.lookup.push(looked - registered);
      samples.graph.push(done - looked);
      samples.loop.push(done - started);
    }
    return {
      engine,
      components: count,
      register: percentiles(samples.register),
      lookup: percentiles(samples.lookup),
      graph: percentiles(samples.graph),
      loop: percentiles(samples.loop),
    };
  } finally {
    await server.stop();
  }
}
