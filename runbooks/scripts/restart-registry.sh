#!/usr/bin/env bash
# Restarts the registry without dropping requests, which also empties whatever it holds in memory (compiled
# queries, the server-side cache). Each instance drains on SIGTERM: stops accepting, answers /readyz 503,
# finishes in-flight requests within OMNIBASE_SHUTDOWN_TIMEOUT_MS, exits 0.
#
#   runbooks/scripts/restart-registry.sh kubernetes [namespace]   rolling restart of deployment/omnibase-registry
#   runbooks/scripts/restart-registry.sh compose                  docker compose (deploy/docker-compose.yml)
#   runbooks/scripts/restart-registry.sh pid <pid>                one process under a supervisor (systemd, …)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mode="${1:-}"
case "$mode" in
  kubernetes)
    namespace=()
    if [ -n "${2:-}" ]; then namespace=(--namespace "$2"); fi
    kubectl "${namespace[@]}" rollout restart deployment/omnibase-registry
    # Returns when every new pod is ready and every old one drained; maxUnavailable 0 keeps capacity meanwhile.
    kubectl "${namespace[@]}" rollout status deployment/omnibase-registry --timeout=10m
    ;;
  compose)
    compose_file="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../deploy" && pwd)/docker-compose.yml"
    docker compose -f "$compose_file" restart registry
    ;;
  pid)
    pid="${2:-}"
    [[ "$pid" =~ ^[0-9]+$ ]] || die "usage: restart-registry.sh pid <pid>"
    kill -0 "$pid" 2>/dev/null || die "no process $pid"
    kill -TERM "$pid"
    # The drain bound plus a margin; the supervisor starts the replacement once the process is gone.
    limit_ms=$(( ${OMNIBASE_SHUTDOWN_TIMEOUT_MS:-10000} + 5000 ))
    for (( waited = 0; waited < limit_ms; waited += 100 )); do
      kill -0 "$pid" 2>/dev/null || { echo "registry process $pid drained and exited"; exit 0; }
      sleep 0.1
    done
    die "process $pid still runs $((limit_ms / 1000)) s after SIGTERM; see its log (a drain that timed out logs 'drain timed out')"
    ;;
  *)
    die "usage: restart-registry.sh kubernetes [namespace] | compose | pid <pid>"
    ;;
esac
