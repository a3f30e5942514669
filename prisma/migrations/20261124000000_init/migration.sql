-- CreateEnum
CREATE TYPE "component_type" AS ENUM ('VALIDATOR', 'TOOL', 'TEST');

-- CreateEnum
CREATE TYPE "lifecycle" AS ENUM ('EXPERIMENTAL', 'ACTIVE', 'DEPRECATED', 'RETIRED');

-- CreateEnum
CREATE TYPE "change_kind" AS ENUM ('REGISTERED', 'UPDATED');

-- The text a component is found by: name and tags as written, the description stemmed as English.
-- Declared immutable so it can back a generated column; array_to_string over text[] depends on no setting.
CREATE FUNCTION "component_search_vector"(name TEXT, description TEXT, tags TEXT[])
RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT setweight(to_tsvector('simple'::regconfig, name), 'A')
      || setweight(to_tsvector('simple'::regconfig, array_to_string(tags, ' ')), 'B')
      || setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'C')
$$;

-- CreateTable
CREATE TABLE "components" (
    "uuid" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "version_key" TEXT COLLATE "C" NOT NULL,
    "type" "component_type" NOT NULL,
    "lifecycle" "lifecycle" NOT NULL,
    "description" TEXT,
    "owner" TEXT,
    "tags" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "document" JSONB NOT NULL,
    "revision" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "search_vector" tsvector GENERATED ALWAYS AS ("component_search_vector"("name", "description", "tags")) STORED,

    CONSTRAINT "components_pkey" PRIMARY KEY ("uuid"),
    CONSTRAINT "components_revision_check" CHECK ("revision" >= 1)
);

-- CreateTable
CREATE TABLE "component_revisions" (
    "component_uuid" UUID NOT NULL,
    "revision" INTEGER NOT NULL,
    "document" JSONB NOT NULL,
    "patch" JSONB,
    "actor" TEXT,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "component_revisions_pkey" PRIMARY KEY ("component_uuid", "revision")
);

-- CreateTable
CREATE TABLE "changes" (
    "sequence" BIGSERIAL NOT NULL,
    "kind" "change_kind" NOT NULL,
    "component_uuid" UUID NOT NULL,
    "revision" INTEGER NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "changes_pkey" PRIMARY KEY ("sequence")
);

-- CreateIndex
CREATE UNIQUE INDEX "components_name_version_key" ON "components"("name", "version");

-- CreateIndex
CREATE INDEX "components_name_version_key_idx" ON "components"("name", "version_key" DESC);

-- CreateIndex
CREATE INDEX "components_tags_idx" ON "components" USING GIN ("tags");

-- CreateIndex
CREATE INDEX "components_type_idx" ON "components"("type");

-- CreateIndex
CREATE INDEX "components_lifecycle_idx" ON "components"("lifecycle");

-- CreateIndex
CREATE INDEX "components_search_vector_idx" ON "components" USING GIN ("search_vector");

-- CreateIndex
CREATE INDEX "changes_component_uuid_idx" ON "changes"("component_uuid");

-- AddForeignKey
ALTER TABLE "component_revisions" ADD CONSTRAINT "component_revisions_component_uuid_fkey" FOREIGN KEY ("component_uuid") REFERENCES "components"("uuid") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "changes" ADD CONSTRAINT "changes_component_uuid_fkey" FOREIGN KEY ("component_uuid") REFERENCES "components"("uuid") ON DELETE CASCADE ON UPDATE CASCADE;
