/**
 * JSON Merge Patch (RFC 7396), applied without mutating either input.
 *
 * Result objects are ordinary objects whose keys are always created with defineProperty, so a
 * patch key such as `__proto__` becomes a plain own property instead of replacing a prototype.
 */

type JsonObject = Record<string, unknown>;

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function setOwn(target: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

function cloneJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cloneJson);
  if (!isJsonObject(value)) return value;
  const copy: JsonObject = {};
  for (const key of Object.keys(value)) setOwn(copy, key, cloneJson(value[key]));
  return copy;
}

/** RFC 7396 §2 MergePatch(Target, Patch); the returned value shares no objects with its inputs. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return cloneJson(patch);
  // A non-object target is replaced by an empty object, exactly as the RFC's pseudocode says.
  const result = (isJsonObject(target) ? cloneJson(target) : {}) as JsonObject;
  for (const key of Object.keys(patch)) {
    const value = patch[key];
    if (value === null) {
      delete result[key];
    } else {
      const current = Object.hasOwn(result, key) ? result[key] : undefined;
      setOwn(result, key, applyMergePatch(current, value));
    }
  }
  return result;
}
