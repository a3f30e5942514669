-- API tokens: a public id and the SHA-256 of the secret, never the secret itself. A token presented as
-- omni_<id>_<secret> is found by id and its secret compared in constant time.

-- CreateTable
CREATE TABLE "api_tokens" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "secret_hash" TEXT NOT NULL,
    "capabilities" TEXT[] NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_tokens_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "api_tokens_capabilities_check" CHECK (
        "capabilities" <@ ARRAY['REGISTRY_READ', 'REGISTRY_WRITE']::TEXT[] AND cardinality("capabilities") > 0
    ),
    CONSTRAINT "api_tokens_name_check" CHECK (length("name") BETWEEN 1 AND 100)
);
