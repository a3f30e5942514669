#!/usr/bin/env bash
# Upgrades the registry's database to the migrations of the omnibase version that runs this script:
# a backup first, the status before, the migration, and a check that nothing is left pending or failed.
# Run it with the NEW version's CLI (in Kubernetes, the migration Job does the migrate step).
#
#   DATABASE_URL=postgresql://… runbooks/scripts/upgrade.sh <backup-file>       PostgreSQL
#   OMNIBASE_DATA_DIR=… runbooks/scripts/upgrade.sh <backup.tar.gz>             embedded (server stopped)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
here="$(dirname "${BASH_SOURCE[0]}")"

[ $# -eq 1 ] || die "usage: upgrade.sh <backup-file>"
if [ -n "${DATABASE_URL:-}" ]; then
  "$here/backup-postgres.sh" "$1"
else
  "$here/backup-embedded.sh" "$1"
fi

echo "--- before"
omnibase db status
omnibase db migrate
echo "--- after"
status_json="$(omnibase db status --output json)"
omnibase db status
if grep -Eq '"state": "(pending|failed)"' <<<"$status_json"; then
  die "migrations are still pending or failed; the backup $1 holds the database as it was before"
fi
echo "upgrade complete; backup of the previous state: $1"
