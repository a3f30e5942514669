#!/usr/bin/env bash
# Empties the omnibase CLI's cache on this machine: the components, graphs and sync cursor it kept from the
# registry (and any cache of another format it set aside). The next command fetches afresh; nothing on the
# server changes. `omnibase registry cache purge` does the same through the CLI.
#
#   runbooks/scripts/purge-cli-cache.sh        the cache of $OMNIBASE_CACHE_DIR, else $XDG_CACHE_HOME/omnibase
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -eq 0 ] || die "usage: purge-cli-cache.sh (the folder comes from OMNIBASE_CACHE_DIR or XDG_CACHE_HOME)"
dir="${OMNIBASE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/omnibase}"
if [ ! -d "$dir" ]; then
  echo "no CLI cache at $dir: nothing to purge"
  exit 0
fi
# Only the cache's own files: the folder may be shared with other things when OMNIBASE_CACHE_DIR points elsewhere.
shopt -s nullglob
# One folder per registry (registry-cache-<host>-<port>-<path>/, a file per entry), folders of another cache
# format the CLI set aside (registry-cache-….format-<n>-<time>), and the single files earlier versions kept.
caches=("$dir"/registry-cache*)
if [ ${#caches[@]} -eq 0 ]; then
  echo "the CLI cache at $dir is already empty"
  exit 0
fi
bytes=$(find "${caches[@]}" -type f -exec cat {} + | wc -c)
rm -rf -- "${caches[@]}"
echo "purged the CLI cache at $dir: ${#caches[@]} registry cache(s), $bytes bytes"
