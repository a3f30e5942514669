import { readFile } from 'node:fs/promises';
import { LineCounter, isScalar, isCollection, parseAllDocuments, visit, type Document } from 'yaml';

export interface MetadataParseErrorOptions {
  file: string;
  line?: number;
  column?: number;
  cause?: unknown;
}

/** A metadata file that cannot be read or is not one well-formed YAML/JSON document. */
export class MetadataParseError extends Error {
  override readonly name = 'MetadataParseError';
  readonly file: string;
  readonly line: number | undefined;
  readonly column: number | undefined;

  constructor(message: string, options: MetadataParseErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.file = options.file;
    this.line = options.line;
    this.column = options.column;
  }
}

/**
 * YAML 1.2 core schema keeps values to JSON's types; resolveKnownTags: false stops YAML 1.1 tags
 * such as !!timestamp from producing Dates, and our own LineCounter gives positions without
 * yaml's multi-line pretty messages.
 */
const PARSE_OPTIONS = { schema: 'core', uniqueKeys: true, resolveKnownTags: false, prettyErrors: false } as const;

function errorAt(file: string, lines: LineCounter, offset: number, reason: string): MetadataParseError {
  const { line, col } = lines.linePos(offset);
  return new MetadataParseError(`${file}:${line}:${col}: ${reason}`, { file, line, column: col });
}

function isEmptyDocument(document: Document.Parsed): boolean {
  const { contents } = document;
  return contents === null || (isScalar(contents) && contents.value === null && contents.source === '');
}

/** The first value JSON cannot represent (non-finite number, collection used as a key), if any. */
function findNonJsonNode(document: Document.Parsed): { offset: number; reason: string } | undefined {
  let found: { offset: number; reason: string } | undefined;
  visit(document, {
    Pair(_, pair) {
      if (isCollection(pair.key)) {
        found = { offset: pair.key.range?.[0] ?? 0, reason: 'mapping keys must be strings, not collections' };
        return visit.BREAK;
      }
      return undefined;
    },
    Scalar(_, scalar) {
      if (typeof scalar.value === 'number' && !Number.isFinite(scalar.value)) {
        found = { offset: scalar.range?.[0] ?? 0, reason: `${scalar.source} is not a JSON number` };
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/** Parses the text of one metadata file (YAML 1.2, so JSON too) into plain JSON data. */
export function parseMetadataText(text: string, file: string): unknown {
  const lines = new LineCounter();
  const documents = parseAllDocuments(text, { ...PARSE_OPTIONS, lineCounter: lines });
  const [document, second] = documents;
  if (document === undefined || (second === undefined && isEmptyDocument(document))) {
    throw new MetadataParseError(`${file} is empty`, { file });
  }
  const problem = document.errors[0] ?? document.warnings[0];
  if (problem !== undefined) throw errorAt(file, lines, problem.pos[0], problem.message);
  if (second !== undefined) {
    throw errorAt(file, lines, second.range[0], `expected one YAML document, found ${documents.length}`);
  }
  const nonJson = findNonJsonNode(document);
  if (nonJson !== undefined) throw errorAt(file, lines, nonJson.offset, nonJson.reason);
  try {
    return document.toJS();
  } catch (error) {
    // yaml refuses documents whose aliases expand explosively ("billion laughs").
    throw new MetadataParseError(`${file}: ${(error as Error).message}`, { file, cause: error });
  }
}

/** The OS reason without Node's `ENOENT: ` prefix and `, open '<path>'` (or `, read`) suffix. */
function osReason(error: unknown): string {
  const message = (error as Error).message;
  return /^[A-Z0-9_]+: (.*?)(?:, [a-z]+(?: '.*')?)?$/s.exec(message)?.[1] ?? message;
}

/** Reads and parses one metadata file; anything unreadable or malformed is a MetadataParseError. */
export async function readMetadataFile(path: string): Promise<unknown> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new MetadataParseError(`cannot read ${path}: ${osReason(error)}`, { file: path, cause: error });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new MetadataParseError(`${path} is not valid UTF-8`, { file: path, cause: error });
  }
  return parseMetadataText(text, path);
}
