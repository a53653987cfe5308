#!/usr/bin/env bash
# Measures qsec-refresh's steady-state resident memory.
#
# Builds the release binaries, starts `qsec dev vault` on loopback, makes a
# periodic app token (period PERIOD, default 6s) and a database lease
# (TTL PERIOD) the way qsec-init would, writes the lease file, starts the
# release qsec-refresh on it, lets it renew for SETTLE seconds (default 30:
# several renewals of both), then prints VmRSS and VmHWM from
# /proc/PID/status and the renewal counters from /metrics, and stops it
# with SIGTERM (it revokes everything and should exit 0).
#
# Usage: bins/qsec-refresh/scripts/measure-rss.sh
# Environment: CARGO_TARGET_DIR, VAULT_PORT (18200), LISTEN (127.0.0.1:18098),
#              PERIOD (6s), SETTLE (30), QSEC_LOG (info). Needs curl and jq.
set -euo pipefail

root=$(cd "$(dirname "$0")/../../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
vault_port=${VAULT_PORT:-18200}
listen=${LISTEN:-127.0.0.1:18098}
period=${PERIOD:-6s}
settle=${SETTLE:-30}
vault="http://127.0.0.1:$vault_port"

(cd "$root" && cargo build --release --quiet -p qsec -p qsec-refresh)

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$target/release/qsec" dev vault --listen "127.0.0.1:$vault_port" --root-token root >"$work/vault.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  curl -fsS "$vault/v1/sys/health" >/dev/null 2>&1 && break
  sleep 0.1
done

api() { # METHOD PATH TOKEN [JSON]
  curl -fsS -X "$1" -H "X-Vault-Token: $3" ${4:+-H 'Content-Type: application/json' -d "$4"} "$vault/v1/$2"
}
api PUT sys/policies/acl/app root '{"policy": "path \"database/creds/app\" { capabilities = [\"read\"] }\npath \"sys/leases/revoke\" { capabilities = [\"update\"] }"}'
api POST database/config/main root '{"plugin_name": "postgresql-database-plugin", "allowed_roles": "app", "connection_url": "postgresql://{{username}}:{{password}}@127.0.0.1:5432/app"}'
api POST database/roles/app root "{\"db_name\": \"main\", \"creation_statements\": [\"CREATE ROLE x\"], \"default_ttl\": \"$period\", \"max_ttl\": \"24h\"}"

now=$(date +%s)
auth=$(api POST auth/token/create root "{\"policies\": [\"app\"], \"period\": \"$period\"}" | jq -c .auth)
token=$(jq -r .client_token <<<"$auth")
creds=$(api GET database/creds/app "$token")
mkdir -p "$work/leases"
jq -n --argjson auth "$auth" --argjson creds "$creds" --argjson now "$now" '{
  format: 1, app: null,
  token: {token: $auth.client_token, accessor: $auth.accessor, lease_duration: $auth.lease_duration,
          renewable: $auth.renewable, obtained_at: $now},
  leases: [{lease_id: $creds.lease_id, lease_duration: $creds.lease_duration, renewable: $creds.renewable,
            path: "database/creds/app", obtained_at: $now}]
}' >"$work/leases/leases.json"
chmod 600 "$work/leases/leases.json"

VAULT_ADDR=$vault QSEC_LEASE_DIR="$work/leases" QSEC_LISTEN=$listen QSEC_LOG=${QSEC_LOG:-info} \
  "$target/release/qsec-refresh" 2>"$work/refresh.log" &
refresh=$!
pids+=($refresh)
echo "qsec-refresh (pid $refresh) renewing a $period token and lease; settling for ${settle}s..."
sleep "$settle"

metrics=$(curl -fsS "http://$listen/metrics")
echo "renewals:  $(awk '/^qsec_refresh_renewals_total/ {print $2}' <<<"$metrics")"
echo "failures:  $(awk '/^qsec_refresh_renewal_failures_total/ {print $2}' <<<"$metrics")"
echo "token ttl: $(awk '/^qsec_refresh_token_expires_in_seconds/ {print $2}' <<<"$metrics")s"
grep -E '^(VmRSS|VmHWM|Threads)' "/proc/$refresh/status"
echo "binary:    $(du -h "$target/release/qsec-refresh" | cut -f1)"

kill -TERM "$refresh"
status=0
wait "$refresh" || status=$?
echo "exit after SIGTERM: $status; its last log lines:"
tail -n 4 "$work/refresh.log"
if curl -fsS -H "X-Vault-Token: $token" "$vault/v1/auth/token/lookup-self" >/dev/null 2>&1; then
  echo "token still valid: NOT revoked" >&2
  exit 1
fi
echo "token revoked: lookup-self refused"
