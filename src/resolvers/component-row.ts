import type { ComponentMetadata } from '../metadata/validate.js';
import { versionSortKey } from '../metadata/version-key.js';
import { Prisma, type Component, type ComponentType, type Lifecycle } from '../generated/prisma/client.js';

export type { Component };

/**
 * A component as a graph walk reads it: never its document, which most readers of a large graph never look
 * at, and in a thin read (when the caller shows no more of a node) only uuid, name, version and lifecycle,
 * the rest null.
 */
export interface ComponentSummary {
  readonly uuid: string;
  readonly name: string;
  readonly version: string;
  readonly lifecycle: Lifecycle;
  readonly versionKey: string | null;
  readonly type: ComponentType | null;
  readonly description: string | null;
  readonly owner: string | null;
  readonly tags: string[] | null;
  readonly revision: number | null;
  readonly createdAt: Date | null;
  readonly updatedAt: Date | null;
}

// Column names as the generated client spells them, so raw rows and client rows have one shape.
export const COMPONENT_COLUMNS = Prisma.sql`uuid::text AS "uuid", name, version, version_key AS "versionKey",
  type::text AS "type", lifecycle::text AS "lifecycle", description, owner, tags, document, revision,
  created_at AS "createdAt", updated_at AS "updatedAt"`;

/** One component by its uuid ($1), as the generated client reads it, for reads straight through the driver. */
export const COMPONENT_BY_UUID_SQL = `SELECT ${COMPONENT_COLUMNS.sql} FROM components WHERE uuid = $1::uuid`;

/** The typed columns a document implies; the document itself stays the source of truth. */
export function columnsOf(document: ComponentMetadata) {
  return {
    name: document.name,
    version: document.version,
    versionKey: versionSortKey(document.version),
    type: document.type.toUpperCase() as ComponentType,
    lifecycle: document.lifecycle.toUpperCase() as Lifecycle,
    description: document.description ?? null,
    owner: document.owner ?? null,
    tags: document.tags ?? [],
    document: document as unknown as Prisma.InputJsonObject,
  };
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

/** The rows of component_dependencies that stand for a document's `dependencies`. */
export function declarationRowsOf(uuid: string, document: ComponentMetadata) {
  return (document.dependencies ?? []).map((dependency, position) => ({
    componentUuid: uuid,
    position,
    dependencyName: 'name' in dependency ? dependency.name : null,
    versionSpec: 'name' in dependency ? dependency.version_spec : null,
    dependencyUuid: 'uuid' in dependency ? dependency.uuid : null,
  }));
}
