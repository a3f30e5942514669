import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/paths.js';
import { metadata, REGISTER, registryHarness, type RegistryHarness } from '../support/registry.js';

interface Target {
  refId: string;
  expr: string;
  datasource: { type: string; uid: string };
}
interface Panel {
  id: number;
  title: string;
  type: string;
  datasource: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets: Target[];
}

const dashboard = JSON.parse(readFileSync(join(packageRoot(), 'dashboards', 'registry.json'), 'utf8')) as {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query: string }> };
};

// PromQL's own words: functions, aggregations and keywords the expressions use, which are not metrics.
const PROMQL_WORDS = new Set(['sum', 'max', 'min', 'avg', 'count', 'rate', 'irate', 'increase', 'histogram_quantile', 'by',
  'without', 'on', 'ignoring', 'and', 'or', 'unless', 'offset', 'topk', 'bottomk', 'abs', 'clamp_min', 'clamp_max']);

/** The metric names an expression reads: what is left once label matchers, ranges, groupings and words go. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"[^"]*"/g, '')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, '');
  return [...bare.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)].map((match) => match[0]).filter((word) => !PROMQL_WORDS.has(word));
}

describe('dashboards/registry.json', () => {
  let registry: RegistryHarness;
  beforeAll(async () => {
    registry = await registryHarness();
  });
  afterAll(() => registry.close());

  it('names only metrics the server really exports, after some traffic', async () => {
    await registry.graphql(REGISTER, { metadata: metadata() });
    await registry.graphql('{ search(first: 5) { totalCount } }');
    await registry.graphql('{ component(uuid: "not-a-uuid") { name } }');
    const text = await (await registry.yoga.fetch('http://registry.test/metrics')).text();
    const exported = new Set([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]) =>
      type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name!],
    ));
    const named = dashboard.panels.flatMap((panel) => panel.targets.flatMap((target) => metricNames(target.expr)));
    expect(named.length).toBeGreaterThanOrEqual(10);
    expect(new Set(named)).toEqual(new Set(['registry_operations_total', 'registry_query_latency_ms_bucket',
      'graphql_envelop_phase_parse_bucket', 'graphql_envelop_phase_validate_bucket', 'graphql_envelop_phase_execute_bucket',
      'registry_db_pool_connections', 'registry_cache_hit_ratio', 'registry_total_components', 'graphql_envelop_error_result',
      'process_resident_memory_bytes', 'registry_write_phase_ms_bucket', 'registry_open_streams']));
    for (const name of named) expect(exported, `${name} is not in /metrics`).toContain(name);
  });

  it('imports as a Grafana dashboard: identity, unique panel ids, a laid-out grid, a datasource variable', () => {
    expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    expect(dashboard.title).toBe('omnibase registry');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(dashboard.templating.list).toContainEqual(expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', query: 'prometheus' }));
    const cells = new Set<string>();
    for (const panel of dashboard.panels) {
      expect(['timeseries', 'stat', 'bargauge', 'table']).toContain(panel.type);
      expect(panel.datasource).toEqual({ type: 'prometheus', uid: '${DS_PROMETHEUS}' });
      const { x, y, w, h } = panel.gridPos;
      expect(x >= 0 && w > 0 && x + w <= 24 && y >= 0 && h > 0).toBe(true);
      for (let column = x; column < x + w; column += 1) {
        for (let row = y; row < y + h; row += 1) {
          expect(cells.has(`${column},${row}`), `${panel.title} overlaps another panel`).toBe(false);
          cells.add(`${column},${row}`);
        }
      }
      expect(panel.targets.length).toBeGreaterThan(0);
      expect(new Set(panel.targets.map((target) => target.refId)).size).toBe(panel.targets.length);
      for (const target of panel.targets) expect(target.expr.trim()).not.toBe('');
    }
  });
});
