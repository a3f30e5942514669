#!/usr/bin/env bash
# Backs up the embedded database (PGlite: a PostgreSQL data folder) to a .tar.gz. The folder is copied as
# files, so the database must be closed: stop `omnibase serve` first.
#
#   OMNIBASE_DATA_DIR=… runbooks/scripts/backup-embedded.sh <backup.tar.gz>
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -eq 1 ] || die "usage: backup-embedded.sh <backup.tar.gz>"
out="$1"
dir="$(embedded_data_dir)"
[ -f "$dir/PG_VERSION" ] || die "$dir holds no embedded database (no PG_VERSION); set OMNIBASE_DATA_DIR"
require_embedded_closed "$dir"
[ ! -e "$out" ] || die "$out exists already; choose a new name, a backup is never overwritten"

tar -C "$(dirname "$dir")" --exclude="$(basename "$dir")/omnibase.pid" -czf "$out.partial" "$(basename "$dir")"
mv "$out.partial" "$out"
echo "backed up $dir to $(basename "$out"): $(wc -c <"$out") bytes"
