-- A retirement that leaves dependents with a dependency nothing satisfies is refused unless the caller forces it
-- (src/resolvers/write.ts); the revision a forced write made says so, with how many dependents it stranded.
ALTER TABLE "component_revisions"
    ADD COLUMN "forced" BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN "stranded" INTEGER;
