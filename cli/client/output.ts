import type { Writable } from 'node:stream';
import { Option } from 'clipanion';
import * as t from 'typanion';
import type { ComponentFieldsFragment } from '../generated/graphql.js';

export const OUTPUT_FORMATS = ['human', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The one --output option, which every command that prints what it read or wrote declares with this. */
export function outputOption(): OutputFormat {
  return Option.String('--output', 'human', {
    description: 'human (tables and trees), json or yaml (stable, with the GraphQL field names)',
    validator: t.isEnum(OUTPUT_FORMATS),
  });
}

/** Writes data as stable JSON or YAML: the shape the GraphQL operation returned, field names unchanged. */
export async function writeStructured(stdout: Writable, format: 'json' | 'yaml', data: unknown): Promise<void> {
  if (format === 'json') {
    stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    return;
  }
  // Loaded only for YAML output: human and JSON output should not pay for the parser.
  const { stringify } = await import('yaml');
  stdout.write(stringify(data, { lineWidth: 0 }));
}

/** Columns padded to their widest cell, two spaces apart, the header first; trailing spaces trimmed. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  return [header, ...rows]
    .map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd())
    .map((line) => `${line}\n`)
    .join('');
}

/** `key  value` lines with the keys aligned, skipping absent values. */
export function fields(entries: ReadonlyArray<readonly [string, string | null | undefined]>): string {
  const present = entries.filter((entry): entry is readonly [string, string] => entry[1] != null && entry[1] !== '');
  const width = Math.max(...present.map(([key]) => key.length));
  return present.map(([key, value]) => `${key.padEnd(width)}  ${value}\n`).join('');
}

/** How a declared dependency reads: `yaml-parser ^2.1.0 → 2.1.3 (uuid)`, or what it lacks. */
export function describeDependency(dependency: ComponentFieldsFragment['dependencies'][number]): string {
  const declared = dependency.uuid && !dependency.name ? `uuid ${dependency.uuid}` : `${dependency.name} ${dependency.versionSpec}`;
  const resolved = dependency.resolved;
  if (!resolved) return `${declared} → unresolved`;
  return dependency.uuid && !dependency.name
    ? `${declared} → ${resolved.name}@${resolved.version}`
    : `${declared} → ${resolved.version} (${resolved.uuid})`;
}

/** One component for people: its fields aligned, then its dependencies. */
export function describeComponent(component: ComponentFieldsFragment): string {
  const text = fields([
    ['name', component.name],
    ['version', component.version],
    ['uuid', component.uuid],
    ['type', component.type.toLowerCase()],
    ['lifecycle', component.lifecycle.toLowerCase()],
    ['owner', component.owner],
    ['tags', component.tags.join(', ')],
    ['description', component.description],
    ['revision', String(component.revision)],
    ['created', component.createdAt],
    ['updated', component.updatedAt],
    ['dependencies', component.dependencies.length ? String(component.dependencies.length) : 'none'],
  ]);
  return text + component.dependencies.map((dependency) => `  ${describeDependency(dependency)}\n`).join('');
}

/** Components as an aligned table, one version per row. */
export function componentTable(components: readonly ComponentFieldsFragment[]): string {
  return table(
    ['NAME', 'VERSION', 'TYPE', 'LIFECYCLE', 'TAGS', 'UUID'],
    components.map((c) => [c.name, c.version, c.type.toLowerCase(), c.lifecycle.toLowerCase(), c.tags.join(','), c.uuid]),
  );
}
