import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormatsPlugin from 'ajv-formats';
import semver from 'semver';
import schema from './schema-v0.3.json' with { type: 'json' };
import { isStrictSemVer } from './version-key.js';

export const MAX_METADATA_BYTES = 256 * 1024;

export type ComponentType = 'validator' | 'tool' | 'test';
export type Lifecycle = 'experimental' | 'active' | 'deprecated' | 'retired';

/** A dependency on whichever version of a named component satisfies an npm range. */
export interface NamedDependency {
  name: string;
  version_spec: string;
}

/** A dependency pinned to one exact registry entry. */
export interface PinnedDependency {
  uuid: string;
}

export type ComponentDependency = NamedDependency | PinnedDependency;

/** A valid, normalised schema v0.3 document: one version of one component. */
export interface ComponentMetadata {
  schema_version: '0.3';
  uuid: string;
  name: string;
  version: string;
  type: ComponentType;
  lifecycle: Lifecycle;
  description?: string;
  owner?: string;
  tags?: string[];
  dependencies?: ComponentDependency[];
  annotations?: Record<string, unknown>;
}

export interface MetadataProblem {
  /** RFC 6901 JSON Pointer to the offending value ('' is the whole document). */
  pointer: string;
  /** The JSON Schema keyword (or `maxBytes`) whose rule was broken. */
  keyword: string;
  message: string;
}

/** How many problems the one-line error message spells out before summarising the rest. */
const PROBLEMS_IN_MESSAGE = 10;

export class MetadataValidationError extends Error {
  override readonly name = 'MetadataValidationError';
  readonly problems: MetadataProblem[];

  constructor(problems: MetadataProblem[]) {
    const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
    const shown = problems
      .slice(0, PROBLEMS_IN_MESSAGE)
      .map((p) => `${p.pointer || '(document)'}: ${p.message}`);
    if (problems.length > PROBLEMS_IN_MESSAGE) shown.push(`… and ${problems.length - PROBLEMS_IN_MESSAGE} more`);
    super(`metadata is invalid (${count}): ${shown.join('; ')}`);
    this.problems = problems;
  }
}

export function formatProblems(error: MetadataValidationError): string {
  const { problems } = error;
  const lines = [`MetadataValidationError: ${problems.length} problem${problems.length === 1 ? '' : 's'}`];
  for (const p of problems) lines.push(`  ${p.pointer || '(document)'}  ${p.message}  [${p.keyword}]`);
  return lines.join('\n');
}

// ajv and ajv-formats are CommonJS; under NodeNext their default export is the module object.
const addFormats = addFormatsPlugin as unknown as typeof addFormatsPlugin.default;

const ajv = new Ajv2020({ allErrors: true, useDefaults: true, strict: true });
addFormats(ajv);
ajv.addFormat('semver', { type: 'string', validate: isStrictSemVer });
ajv.addFormat('semver-range', {
  type: 'string',
  validate: (range: string) => range.trim() !== '' && semver.validRange(range) !== null,
});
const validateSchema = ajv.compile<ComponentMetadata>(schema);

const { $defs } = schema;
const PATTERN_RULES = new Map<string, string>([
  [$defs.uuid.pattern, 'must be a UUID such as 6f1c2a9e-0b6d-4e4f-9a51-1c2d3e4f5a6b (8-4-4-4-12 hex digits, version 1-8)'],
  [$defs.componentName.pattern, `must match ${$defs.componentName.pattern} (lowercase letters, digits, ., _ and -)`],
  [schema.properties.tags.items.pattern, `must match ${schema.properties.tags.items.pattern} (lowercase letters, digits and -)`],
]);
const FORMAT_RULES = new Map<string, string>([
  ['semver', 'must be a strict SemVer 2.0.0 version such as 1.4.2 (no leading v or =)'],
  ['semver-range', 'is not a valid npm version range (such as ^2.1.0 or >=1 <3)'],
]);
const TYPE_NAMES: Record<string, string> = { object: 'an object', array: 'an array', string: 'a string' };

function escapePointerSegment(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The pointer without its leading slash, used as the field's name in messages. */
function fieldLabel(pointer: string): string {
  return pointer === '' ? 'metadata' : pointer.slice(1);
}

/** A short, quoted rendering of an offending value for a message. */
function quote(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  if (text.length <= 80) return text;
  return typeof value === 'string' ? `${text.slice(0, 76)}…"` : `${text.slice(0, 77)}…`;
}

function valueAt(document: unknown, pointer: string): unknown {
  let value = document;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function toProblem(error: ErrorObject, document: unknown): MetadataProblem {
  const { keyword, params, instancePath } = error;
  const label = fieldLabel(instancePath);
  const value = (): string => quote(valueAt(document, instancePath));
  switch (keyword) {
    case 'required': {
      const pointer = `${instancePath}/${escapePointerSegment(params.missingProperty as string)}`;
      const hint = instancePath === '' ? '' : ' (a dependency has name + version_spec, or a uuid alone)';
      return { pointer, keyword, message: `${fieldLabel(pointer)} is required${hint}` };
    }
    case 'additionalProperties': {
      const key = params.additionalProperty as string;
      const hint = instancePath === '' ? '; custom data belongs under /annotations' : '';
      return { pointer: `${instancePath}/${escapePointerSegment(key)}`, keyword, message: `unknown key ${quote(key)}${hint}` };
    }
    case 'uniqueItems': {
      const duplicate = Math.max(params.i as number, params.j as number);
      const pointer = `${instancePath}/${duplicate}`;
      const first = Math.min(params.i as number, params.j as number);
      return { pointer, keyword, message: `${label} must not repeat ${quote(valueAt(document, pointer))} (items ${first} and ${duplicate})` };
    }
    case 'not':
      return { pointer: instancePath, keyword, message: 'a dependency pinned by uuid must not also have name or version_spec' };
    case 'type': {
      const expected = TYPE_NAMES[params.type as string] ?? `of type ${String(params.type)}`;
      return { pointer: instancePath, keyword, message: `${label} must be ${expected}, got ${value()}` };
    }
    case 'const':
      return { pointer: instancePath, keyword, message: `${label} must be ${quote(params.allowedValue)}, got ${value()}` };
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).join(', ');
      return { pointer: instancePath, keyword, message: `${label} must be one of ${allowed}, got ${value()}` };
    }
    case 'pattern':
      return { pointer: instancePath, keyword, message: `${label} ${value()} ${PATTERN_RULES.get(params.pattern as string)}` };
    case 'format':
      return { pointer: instancePath, keyword, message: `${label} ${value()} ${FORMAT_RULES.get(params.format as string)}` };
    case 'maxLength':
    case 'minLength': {
      const limit = params.limit as number;
      const rule = keyword === 'maxLength' ? `at most ${limit}` : `at least ${limit}`;
      return { pointer: instancePath, keyword, message: `${label} must be ${rule} character${limit === 1 ? '' : 's'} long` };
    }
    case 'maxItems':
      return { pointer: instancePath, keyword, message: `${label} must have at most ${params.limit as number} items` };
    default:
      return { pointer: instancePath, keyword, message: `${label} ${error.message ?? 'is invalid'}` };
  }
}

/** Orders pointers segment by segment, numbers numerically, so /dependencies/2 precedes /dependencies/10. */
function comparePointers(a: string, b: string): number {
  const left = a.split('/');
  const right = b.split('/');
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const [x, y] = [left[i]!, right[i]!];
    if (x === y) continue;
    const numeric = /^\d+$/.test(x) && /^\d+$/.test(y);
    if (numeric) return Number(x) - Number(y);
    return x < y ? -1 : 1;
  }
  return left.length - right.length;
}

function collectProblems(errors: ErrorObject[], document: unknown): MetadataProblem[] {
  // ajv adds an `if` error next to whatever the then/else branch reported; only the branch's error helps.
  const specific = new Set(errors.filter((e) => e.keyword !== 'if').map((e) => e.instancePath));
  const seen = new Set<string>();
  const problems: MetadataProblem[] = [];
  for (const error of errors) {
    if (error.keyword === 'if' && specific.has(error.instancePath)) continue;
    const problem = toProblem(error, document);
    const identity = `${problem.pointer}\u0000${problem.keyword}\u0000${problem.message}`;
    if (seen.has(identity)) continue;
    seen.add(identity);
    problems.push(problem);
  }
  return problems.sort((a, b) => comparePointers(a.pointer, b.pointer));
}

function formatKiB(bytes: number): string {
  // Rounding up keeps a document just over the limit from reading as exactly the limit.
  return `${(Math.ceil((bytes / 1024) * 10) / 10).toFixed(1)} KiB`;
}

function fail(problem: MetadataProblem): never {
  throw new MetadataValidationError([problem]);
}

/**
 * Validates one schema v0.3 document and returns a normalised copy (defaults applied, uuids
 * lower-cased); the input is never modified. Throws MetadataValidationError listing every problem.
 */
export function validateMetadata(input: unknown): ComponentMetadata {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    fail({ pointer: '', keyword: 'type', message: `metadata must be an object, got ${input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input}` });
  }
  let json: string;
  try {
    // A toJSON() returning undefined serialises to nothing, which the schema then reports as a non-object.
    json = JSON.stringify(input) ?? 'null';
  } catch (error) {
    fail({ pointer: '', keyword: 'type', message: `metadata must be plain JSON data (${(error as Error).message})` });
  }
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > MAX_METADATA_BYTES) {
    fail({ pointer: '', keyword: 'maxBytes', message: `document is ${formatKiB(bytes)}; the limit is ${MAX_METADATA_BYTES / 1024} KiB` });
  }
  // Round-tripping through JSON yields exactly the data that will be stored, detached from the input.
  const document: unknown = JSON.parse(json);
  if (!validateSchema(document)) {
    throw new MetadataValidationError(collectProblems(validateSchema.errors ?? [], document));
  }
  document.uuid = document.uuid.toLowerCase();
  for (const dependency of document.dependencies ?? []) {
    if ('uuid' in dependency) dependency.uuid = dependency.uuid.toLowerCase();
  }
  return document;
}
