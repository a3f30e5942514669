import type { Plugin } from 'graphql-yoga';
import type { Database } from '../db/database.js';
import { isUpToDate, migrationStatus, readLocalMigrations, type LocalMigration } from '../db/migrate.js';
import type { RegistryMetrics } from './metrics.js';

/**
 * /healthz (the process answers), /readyz (the database answers and its migrations are current: 503 with
 * the reason otherwise) and /metrics (Prometheus text), answered before any GraphQL handling.
 */
export function useHealthAndMetrics(db: Database, metrics: RegistryMetrics): Plugin {
  let local: Promise<LocalMigration[]> | undefined;
  async function readiness(): Promise<{ ready: boolean; reason?: string }> {
    try {
      local ??= readLocalMigrations();
      const statuses = await migrationStatus(db, await local);
      if (isUpToDate(statuses)) return { ready: true };
      const behind = statuses.filter((status) => status.state === 'pending' || status.state === 'failed');
      return { ready: false, reason: `migrations not applied: ${behind.map((status) => `${status.name} (${status.state})`).join(', ')}` };
    } catch (error) {
      return { ready: false, reason: `database unreachable: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
  return {
    async onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname === '/healthz') {
        endResponse(fetchAPI.Response.json({ status: 'ok' }));
      } else if (url.pathname === '/readyz') {
        const { ready, reason } = await readiness();
        endResponse(fetchAPI.Response.json(ready ? { status: 'ready' } : { status: 'unavailable', reason }, { status: ready ? 200 : 503 }));
      } else if (url.pathname === '/metrics') {
        const text = await metricsText(metrics);
        endResponse(new fetchAPI.Response(text, { headers: { 'content-type': metrics.registry.contentType } }));
      }
    },
  };
}

/**
 * The Prometheus page; a metric whose collection fails (the component count while the database is away) is left
 * out rather than failing the page, so the error counters of an outage still reach Prometheus.
 */
async function metricsText({ registry }: RegistryMetrics): Promise<string> {
  try {
    return await registry.metrics();
  } catch {
    const parts = await Promise.all(
      registry.getMetricsAsArray().map((metric) => registry.getSingleMetricAsString(metric.name).catch(() => '')),
    );
    return `${parts.filter(Boolean).join('\n\n')}\n`;
  }
}
