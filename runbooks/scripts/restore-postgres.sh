#!/usr/bin/env bash
# Restores a backup-postgres.sh file into the database DATABASE_URL names, replacing the registry's tables
# there, in one transaction: it either all happens or nothing does. Stop the writers first (scale the
# Deployment to 0 or stop the registry service): writes made during a restore are lost with the old tables.
#
#   DATABASE_URL=postgresql://… runbooks/scripts/restore-postgres.sh <backup-file>
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -eq 1 ] || die "usage: restore-postgres.sh <backup-file>"
file="$1"
require_database_url
[ -f "$file" ] || die "$file does not exist"
pg_tool pg_restore --list "$file" >/dev/null || die "$file is not a pg_dump custom-format backup"

pg_tool pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction --exit-on-error \
  --dbname="$DATABASE_URL" "$file"
# The restored database must carry every migration this version of the registry expects.
omnibase db status
echo "restored $(basename "$file")"
