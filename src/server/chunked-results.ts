import { Readable } from 'node:stream';
import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** Answers whose JSON is larger than this go out in chunks rather than as one string. */
const CHUNKED_ABOVE = 256 * 1024;
/** Items of a list serialised together: each batch's text is small enough to be copied into a buffer cheaply. */
const BATCH = 256;
/** Text gathered before it is written as one buffer. */
const CHUNK = 64 * 1024;

/** About how long the JSON text of `value` is, counted until it passes `limit` (then Infinity). */
function roughSize(value: unknown, limit: number): number {
  let size = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item === 'string') {
      size += item.length + 2;
    } else if (Array.isArray(item)) {
      size += item.length;
      for (const inner of item) stack.push(inner);
    } else if (item !== null && typeof item === 'object') {
      for (const key in item) {
        size += key.length + 3;
        stack.push((item as Record<string, unknown>)[key]);
      }
    } else {
      size += 5;
    }
    if (size > limit) return Infinity;
  }
  return size;
}

/** The JSON text of `value`, exactly as JSON.stringify writes it, in buffers of about CHUNK bytes. */
export function* jsonChunks(value: unknown): Generator<Buffer> {
  let parts: string[] = [];
  let length = 0;
  const push = (text: string) => {
    parts.push(text);
    length += text.length;
  };
  function* flush(force: boolean): Generator<Buffer> {
    if (length >= CHUNK || (force && length > 0)) {
      yield Buffer.from(parts.join(''));
      parts = [];
      length = 0;
    }
  }
  function* emit(item: unknown, key: string): Generator<Buffer> {
    if (item !== null && typeof item === 'object' && typeof (item as { toJSON?: unknown }).toJSON === 'function') item = (item as { toJSON(key: string): unknown }).toJSON(key);
    if (Array.isArray(item)) {
      if (item.length <= BATCH) {
        push(JSON.stringify(item));
        return yield* flush(false);
      }
      push('[');
      for (let at = 0; at < item.length; at += BATCH) {
        const text = JSON.stringify(item.slice(at, at + BATCH));
        push(at === 0 ? text.slice(1, -1) : ',' + text.slice(1, -1));
        yield* flush(false);
      }
      push(']');
    } else if (item !== null && typeof item === 'object' && !(item instanceof Number || item instanceof String || item instanceof Boolean)) {
      push('{');
      let first = true;
      for (const name of Object.keys(item)) {
        let inner = (item as Record<string, unknown>)[name];
        if (inner !== null && typeof inner === 'object' && typeof (inner as { toJSON?: unknown }).toJSON === 'function') inner = (inner as { toJSON(key: string): unknown }).toJSON(name);
        if (inner === undefined || typeof inner === 'function' || typeof inner === 'symbol') continue;
        push((first ? '' : ',') + JSON.stringify(name) + ':');
        first = false;
        yield* emit(inner, name);
      }
      push('}');
    } else {
      push(JSON.stringify(item) ?? 'null');
    }
    yield* flush(false);
  }
  yield* emit(value, '');
  yield* flush(true);
}

const JSON_TYPES = ['application/graphql-response+json', 'application/json'];

/**
 * The JSON media type Yoga's own processor answers with for this Accept header: of every (accepted, offered) pair
 * that matches, in the order Yoga tries them, the last.
 */
function jsonTypeFor(request: Request): string | undefined {
  const accepted = (request.headers.get('accept') ?? '*/*').split(',').map((part) => part.split(';')[0]!.trim().toLowerCase());
  let chosen: string | undefined;
  for (const wanted of accepted.length ? accepted : ['*/*']) {
    for (const offered of JSON_TYPES) {
      const [type, sub] = wanted.split('/');
      const [offeredType, offeredSub] = offered.split('/');
      if ((type === '*' || type === offeredType) && (sub === '*' || sub === offeredSub)) chosen = offered;
    }
  }
  return chosen;
}

/**
 * Large answers without errors are written in chunks as they are serialised: no one string of the whole answer,
 * no flattening of it to measure its length, no one buffer of it to write. The answer is the same text (see
 * jsonChunks); it goes out with chunked transfer encoding instead of a Content-Length.
 */
export function useChunkedResults(): Plugin {
  return {
    onResultProcess({ request, result, resultProcessor, setResultProcessor }) {
      if (!resultProcessor || Array.isArray(result) || Symbol.asyncIterator in (result as object)) return;
      const single = result as ExecutionResult;
      if (single.errors?.length || single.extensions || roughSize(single.data, CHUNKED_ABOVE) !== Infinity) return;
      const mediaType = jsonTypeFor(request);
      if (!mediaType) return;
      setResultProcessor(
        (input, fetchAPI) =>
          new fetchAPI.Response(Readable.from(jsonChunks(input), { objectMode: false }) as never, {
            status: 200,
            headers: { 'Content-Type': `${mediaType}; charset=utf-8` },
          }),
        mediaType,
      );
    },
  };
}
