# Shared by the runbook scripts (sourced, not run).
#   OMNIBASE  the omnibase command line to run, e.g. "npx omnibase" or "node /app/dist/cli/main.js" (default: omnibase)
#   PG_BIN    a directory holding pg_dump and pg_restore, when they are not on PATH or the wrong version is

set -euo pipefail

die() {
  echo "error: $*" >&2
  exit 2
}

# Runs the omnibase CLI as $OMNIBASE says.
omnibase() {
  local -a command
  read -r -a command <<<"${OMNIBASE:-omnibase}"
  "${command[@]}" "$@"
}

# A PostgreSQL client program, from PG_BIN when set.
pg_tool() {
  local tool="$1"
  shift
  "${PG_BIN:+$PG_BIN/}$tool" "$@"
}

require_database_url() {
  [ -n "${DATABASE_URL:-}" ] || die "DATABASE_URL is not set: it names the PostgreSQL database (postgresql://user:pass@host:port/db)"
  case "$DATABASE_URL" in
    postgres://* | postgresql://*) ;;
    *) die "DATABASE_URL must be a postgresql:// URL" ;;
  esac
}

# The embedded database's folder, resolved as the server resolves it.
embedded_data_dir() {
  if [ -n "${OMNIBASE_DATA_DIR:-}" ]; then
    echo "$OMNIBASE_DATA_DIR"
  else
    echo "${XDG_DATA_HOME:-$HOME/.local/share}/omnibase/registry"
  fi
}

# Refuses when the embedded database in $1 is open: the process named in omnibase.pid (the registry's own lock)
# is alive, or PGlite's postmaster.pid is there (open, or left by a crash).
require_embedded_closed() {
  local dir="$1" holder
  if [ -f "$dir/omnibase.pid" ]; then
    holder="$(head -n 1 "$dir/omnibase.pid")"
    if [[ "$holder" =~ ^[0-9]+$ ]] && kill -0 "$holder" 2>/dev/null; then
      die "the embedded database in $dir is in use by process $holder: stop omnibase serve first"
    fi
  fi
  [ ! -e "$dir/postmaster.pid" ] || die "the embedded database in $dir is open (or was not closed cleanly): stop omnibase serve; after a crash, run 'omnibase db status' once to close it cleanly, then try again"
}
