#!/usr/bin/env bash
# Restores a backup-embedded.sh archive as the embedded database. The current folder, if any, is kept beside
# it as <folder>.replaced-<time> (delete it once the restore is verified). Stop `omnibase serve` first.
#
#   OMNIBASE_DATA_DIR=… runbooks/scripts/restore-embedded.sh <backup.tar.gz>
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -eq 1 ] || die "usage: restore-embedded.sh <backup.tar.gz>"
archive="$1"
dir="$(embedded_data_dir)"
[ -f "$archive" ] || die "$archive does not exist"
[ ! -d "$dir" ] || require_embedded_closed "$dir"
# The archive holds exactly one folder, a PostgreSQL data folder.
listing="$(tar -tzf "$archive")" || die "$archive is not a backup-embedded.sh archive"
top="$(cut -d/ -f1 <<<"$listing" | sort -u)"
{ [ "$(wc -l <<<"$top")" = 1 ] && grep -qx "$top/PG_VERSION" <<<"$listing"; } || die "$archive is not a backup-embedded.sh archive"

staging="$(mktemp -d "$(dirname "$dir")/.restore-XXXXXX")"
tar -C "$staging" -xzf "$archive"
if [ -e "$dir" ]; then
  aside="$dir.replaced-$(date -u +%Y%m%dT%H%M%SZ)"
  mv "$dir" "$aside"
  echo "kept the previous database as $aside"
fi
mv "$staging/$top" "$dir"
rmdir "$staging"
omnibase db status
echo "restored $(basename "$archive") into $dir"
