-- Each component's declared dependencies as rows, so graph queries can walk them level by level in SQL.
-- Written with the document in the same transaction; the document stays the source of truth.

-- CreateTable
CREATE TABLE "component_dependencies" (
    "component_uuid" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "dependency_name" TEXT,
    "version_spec" TEXT,
    "dependency_uuid" UUID,

    CONSTRAINT "component_dependencies_pkey" PRIMARY KEY ("component_uuid", "position"),
    CONSTRAINT "component_dependencies_kind_check" CHECK (
        ("dependency_uuid" IS NULL AND "dependency_name" IS NOT NULL AND "version_spec" IS NOT NULL)
        OR ("dependency_uuid" IS NOT NULL AND "dependency_name" IS NULL AND "version_spec" IS NULL)
    )
);

-- CreateIndex
CREATE INDEX "component_dependencies_dependency_name_idx" ON "component_dependencies"("dependency_name");

-- CreateIndex
CREATE INDEX "component_dependencies_dependency_uuid_idx" ON "component_dependencies"("dependency_uuid");

-- AddForeignKey
ALTER TABLE "component_dependencies" ADD CONSTRAINT "component_dependencies_component_uuid_fkey" FOREIGN KEY ("component_uuid") REFERENCES "components"("uuid") ON DELETE CASCADE ON UPDATE CASCADE;

-- Backfill from the documents already stored.
INSERT INTO "component_dependencies" ("component_uuid", "position", "dependency_name", "version_spec", "dependency_uuid")
SELECT c."uuid", d.ordinality - 1, d.value->>'name', d.value->>'version_spec', (d.value->>'uuid')::uuid
FROM "components" c, jsonb_array_elements(c."document"->'dependencies') WITH ORDINALITY AS d(value, ordinality);
