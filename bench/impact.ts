import { randomUUID } from 'node:crypto';
import { graphql, percentiles, seedComponents, startServer, type Percentiles } from './support.js';

export interface ImpactBenchResult {
  readonly components: number;
  readonly dependents: number;
  readonly runs: number;
  /** Retiring the version, answering only its new revision. */
  readonly write: Percentiles;
  /** The same retirement answering its whole impact: counts and every edge with its dependent, before and after. */
  readonly withImpact: Percentiles;
  /** The same as a dry run with its whole impact. */
  readonly dryRun: Percentiles;
  /** Edges in each impact answer (the dependents moved). */
  readonly edges: number;
}

const RETIRE = `mutation ($uuid: UUID!) { update(uuid: $uuid, patch: { lifecycle: "retired" }) { revision } }`;
const RETIRE_WITH_IMPACT = `mutation ($uuid: UUID!, $dryRun: Boolean) {
  update(uuid: $uuid, patch: { lifecycle: "retired" }, dryRun: $dryRun) {
    revision
    impact { moved resolved stranded edges(first: 1000) { totalCount edges { node {
      kind versionSpec dependent { uuid name version } before { uuid version } after { uuid version } } } } }
  }
}`;
const RESTORE = `mutation ($uuid: UUID!) { update(uuid: $uuid, patch: { lifecycle: "active" }) { revision } }`;
const REGISTER_MANY = `mutation ($metadata: [JSON!]!) { registerMany(metadata: $metadata) { registered } }`;

/**
 * A registry of `components` entries in which `dependents` of them declare `shared-lib ^2`, held by 2.0.0 and
 * 2.1.0. Each round retires 2.1.0 (every dependent moves to 2.0.0) and restores it, three ways in turn: answering only
 * the revision, answering the whole impact, and as a dry run answering the whole impact. Latency is the client's,
 * over loopback, one request at a time.
 */
export async function impactBench(components: number, dependents: number, rounds: number): Promise<ImpactBenchResult> {
  const server = await startServer('postgres');
  try {
    await seedComponents(server.databaseUrl!, components - dependents - 2);
    const token = await server.token();
    const library = (version: string) => ({ schema_version: '0.3', uuid: randomUUID(), name: 'shared-lib', version, type: 'tool', lifecycle: 'active' });
    const [older, newer] = [library('2.0.0'), library('2.1.0')];
    const users = Array.from({ length: dependents }, (_, index) => ({
      schema_version: '0.3',
      uuid: randomUUID(),
      name: `user-${index}`,
      version: '1.0.0',
      type: 'validator',
      lifecycle: 'active',
      dependencies: [{ name: 'shared-lib', version_spec: '^2' }],
    }));
    const documents = [older, newer, ...users];
    for (let start = 0; start < documents.length; start += 500) {
      await graphql(server.url, REGISTER_MANY, { metadata: documents.slice(start, start + 500) }, token);
    }

    const samples = { write: [] as number[], withImpact: [] as number[], dryRun: [] as number[] };
    let edges = 0;
    const timed = async (query: string, variables: Record<string, unknown>) => {
      const started = performance.now();
      const answer = await graphql(server.url, query, variables, token);
      return { ms: performance.now() - started, answer };
    };
    // One warm-up round, then `rounds` measured.
    for (let round = 0; round <= rounds; round += 1) {
      const write = await timed(RETIRE, { uuid: newer.uuid });
      await graphql(server.url, RESTORE, { uuid: newer.uuid }, token);
      const withImpact = await timed(RETIRE_WITH_IMPACT, { uuid: newer.uuid, dryRun: false });
      await graphql(server.url, RESTORE, { uuid: newer.uuid }, token);
      const dryRun = await timed(RETIRE_WITH_IMPACT, { uuid: newer.uuid, dryRun: true });
      edges = (withImpact.answer as { update: { impact: { edges: { totalCount: number } } } }).update.impact.edges.totalCount;
      if (round === 0) continue;
      samples.write.push(write.ms);
      samples.withImpact.push(withImpact.ms);
      samples.dryRun.push(dryRun.ms);
    }
    return {
      components,
      dependents,
      runs: rounds,
      write: percentiles(samples.write),
      withImpact: percentiles(samples.withImpact),
      dryRun: percentiles(samples.dryRun),
      edges,
    };
  } finally {
    await server.stop();
  }
}
