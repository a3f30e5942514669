#!/usr/bin/env bash
# Backs up the registry's PostgreSQL database to one file (pg_dump custom format: compressed, restorable
# table by table, consistent as of the moment it starts; the registry keeps serving meanwhile).
#
#   DATABASE_URL=postgresql://… runbooks/scripts/backup-postgres.sh <backup-file>
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -eq 1 ] || die "usage: backup-postgres.sh <backup-file>"
out="$1"
require_database_url
[ ! -e "$out" ] || die "$out exists already; choose a new name, a backup is never overwritten"

pg_tool pg_dump --format=custom --no-owner --no-privileges --file="$out.partial" --dbname="$DATABASE_URL"
mv "$out.partial" "$out"
# The listing proves the file is readable and shows what it holds.
tables=$(pg_tool pg_restore --list "$out" | grep -c ' TABLE DATA ')
echo "backed up $(basename "$out"): $tables tables, $(wc -c <"$out") bytes"
