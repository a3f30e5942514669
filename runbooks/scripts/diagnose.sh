#!/usr/bin/env bash
# First look at a registry instance: is the process up, is it ready (and if not, why), what do its key
# metrics say. Read-only; safe to run against production.
#
#   runbooks/scripts/diagnose.sh [base-url]     default: $OMNIBASE_URL, else http://127.0.0.1:4000
#
# Exit status: 0 healthy, 1 serving but degraded (the diagnosis says why), 2 not answering at all.
set -uo pipefail

base="${1:-${OMNIBASE_URL:-http://127.0.0.1:4000}}"
base="${base%/}"
base="${base%/graphql}"

healthz=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$base/healthz") || healthz=000
echo "healthz: $healthz"
if [ "$healthz" != 200 ]; then
  echo "diagnosis: no process answers at $base: check that it runs (kubectl get pods, docker compose ps), its last log lines, and the host and port"
  exit 2
fi

status=0
readyz=$(curl -s --max-time 15 -w '\n%{http_code}' "$base/readyz") || readyz=$'\n000'
readyz_code="${readyz##*$'\n'}"
readyz_body="${readyz%$'\n'*}"
echo "readyz: $readyz_code $readyz_body"
case "$readyz_body" in
  *'"status":"ready"'*) ;;
  *'database unreachable'*)
    echo "diagnosis: database unreachable: requests fail with SERVICE_UNAVAILABLE until PostgreSQL answers again; check it (pg_isready -d \"\$DATABASE_URL\"), DATABASE_URL and the network; the registry reconnects by itself, no restart needed"
    status=1 ;;
  *'migrations not applied'*)
    echo "diagnosis: migrations not applied: run the migration (runbooks/upgrade.md: omnibase db status, omnibase db migrate)"
    status=1 ;;
  *'shutting down'*)
    echo "diagnosis: draining after SIGTERM: it finishes in-flight requests and exits within OMNIBASE_SHUTDOWN_TIMEOUT_MS"
    status=1 ;;
  *)
    echo "diagnosis: /readyz did not answer as expected; see the instance's log lines (JSON, level >= 40)"
    status=1 ;;
esac

metrics=$(curl -s --max-time 15 -w '\n%{http_code}' "$base/metrics") || metrics=$'\n000'
metrics_code="${metrics##*$'\n'}"
if [ "$metrics_code" != 200 ]; then
  echo "metrics: unavailable (HTTP $metrics_code)"
else
  metrics="${metrics%$'\n'*}"
  echo "metrics:"
  grep -E '^registry_db_pool_connections' <<<"$metrics" | sed 's/^/  /'
  grep -E '^registry_operations_total\{' <<<"$metrics" | grep -v 'outcome="ok"' | sed 's/^/  errors: /'
  waiting=$(grep -E '^registry_db_pool_connections\{state="waiting"\}' <<<"$metrics" | awk '{print $2}')
  if [ -n "${waiting:-}" ] && [ "${waiting%.*}" -gt 0 ]; then
    echo "diagnosis: requests are waiting for a database connection: the pool (10 per instance) is saturated; look for slow queries (registry_query_latency_ms by operation) or scale out within PostgreSQL's max_connections"
    status=1
  fi
fi

[ "$status" = 0 ] && echo "diagnosis: healthy"
exit "$status"
