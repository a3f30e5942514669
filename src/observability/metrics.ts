import { usePrometheus } from '@envelop/prometheus';
import type { Plugin } from 'graphql-yoga';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Database } from '../db/database.js';
import type { WriteTiming } from '../resolvers/write.js';

/** Latency buckets in ms, from a cached lookup to a whole 100k-node graph. */
const LATENCY_BUCKETS_MS = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];
const TYPES = ['VALIDATOR', 'TOOL', 'TEST'];
const LIFECYCLES = ['EXPERIMENTAL', 'ACTIVE', 'DEPRECATED', 'RETIRED'];

export interface RegistryMetrics {
  readonly registry: Registry;
  /** The envelop plugin: parse, validate, execute durations and errors per operation. */
  readonly graphqlPlugin: Plugin;
  /** Records one finished request: its operation (root field), outcome (ok or an error code) and duration. */
  observe(operation: string, outcome: string, durationMs: number): void;
  /** Records one lookup of the response cache (src/cache), for registry_cache_hit_ratio. */
  recordCacheLookup(hit: boolean): void;
  /** Records where one commit's time went (src/resolvers/write.ts), for registry_write_phase_ms. */
  recordWrite(timing: WriteTiming): void;
  /** Where registry_open_streams reads the number of open change streams at scrape time. */
  countStreams(openStreams: () => number): void;
}

/**
 * The server's metrics, in a registry of their own so several servers can live in one process (tests).
 * Values that live in the database are read when Prometheus scrapes, so every instance reports the truth.
 */
export function createRegistryMetrics(db: Database): RegistryMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const cache = { hits: 0, misses: 0 };
  let openStreams = () => 0;

  const operations = new Counter({
    name: 'registry_operations_total',
    help: 'GraphQL requests by operation (the root field, or "multiple") and outcome ("ok" or the first error code).',
    labelNames: ['operation', 'outcome'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'registry_query_latency_ms',
    help: 'Time from receiving a GraphQL request to its response, in milliseconds, by operation.',
    labelNames: ['operation'],
    buckets: LATENCY_BUCKETS_MS,
    registers: [registry],
  });
  new Gauge({
    name: 'registry_total_components',
    help: 'Registered component versions by type and lifecycle, counted in the database at scrape time.',
    labelNames: ['type', 'lifecycle'],
    registers: [registry],
    async collect() {
      const rows = await db.query<{ type: string; lifecycle: string; total: number }>(
        'SELECT type::text AS type, lifecycle::text AS lifecycle, count(*)::int AS total FROM components GROUP BY 1, 2',
      );
      const totals = new Map(rows.map((row) => [`${row.type}/${row.lifecycle}`, row.total]));
      for (const type of TYPES) {
        for (const lifecycle of LIFECYCLES) {
          this.set({ type: type.toLowerCase(), lifecycle: lifecycle.toLowerCase() }, totals.get(`${type}/${lifecycle}`) ?? 0);
        }
      }
    },
  });
  new Gauge({
    name: 'registry_cache_hit_ratio',
    help: "Hits over lookups of the server's response cache since start (answers served without executing); 0 before any lookup.",
    registers: [registry],
    collect() {
      const lookups = cache.hits + cache.misses;
      this.set(lookups === 0 ? 0 : cache.hits / lookups);
    },
  });
  new Gauge({
    name: 'registry_db_pool_connections',
    help: 'Database connections by state: total, idle, and requests waiting for one.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const pool = db.poolStats();
      this.set({ state: 'total' }, pool.total);
      this.set({ state: 'idle' }, pool.idle);
      this.set({ state: 'waiting' }, pool.waiting);
    },
  });

  new Gauge({
    name: 'registry_open_streams',
    help: 'Live change streams (subscription { changes }) this instance holds open, all principals together.',
    registers: [registry],
    collect() {
      this.set(openStreams());
    },
  });

  const writePhases = new Histogram({
    name: 'registry_write_phase_ms',
    help:
      'Where commits spend their time, in milliseconds: total (asking for a write connection to having the answer), ' +
      'database (the statement inside the database), lock_wait (the part of it waiting for the write-order lock); ' +
      'by path: statement (committed as it returned) or transaction (held open for a cycle check).',
    labelNames: ['phase', 'path'],
    buckets: [0.25, 0.5, ...LATENCY_BUCKETS_MS],
    registers: [registry],
  });

  const graphqlPlugin = usePrometheus({
    registry,
    // Operation names and error paths are whatever clients send: as labels they would let any client grow
    // the number of series without bound. registry_operations_total carries the bounded root-field label.
    labels: { operationName: false, path: false },
    metrics: {
      graphql_envelop_phase_parse: true,
      graphql_envelop_phase_validate: true,
      graphql_envelop_phase_context: true,
      graphql_envelop_phase_execute: true,
      graphql_envelop_request_duration: true,
      graphql_envelop_request: true,
      graphql_envelop_error_result: true,
    },
  }) as Plugin;

  return {
    registry,
    graphqlPlugin,
    recordCacheLookup(hit) {
      if (hit) cache.hits += 1;
      else cache.misses += 1;
    },
    recordWrite({ totalMs, databaseMs, lockWaitMs, path }) {
      writePhases.observe({ phase: 'total', path }, totalMs);
      writePhases.observe({ phase: 'database', path }, databaseMs);
      writePhases.observe({ phase: 'lock_wait', path }, lockWaitMs);
    },
    countStreams(source) {
      openStreams = source;
    },
    observe(operation, outcome, durationMs) {
      operations.inc({ operation, outcome });
      latency.observe({ operation }, durationMs);
    },
  };
}
