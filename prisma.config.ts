import { defineConfig } from 'prisma/config';

// Only `prisma generate` reads this file; the registry applies migrations itself (`omnibase db migrate`).
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
