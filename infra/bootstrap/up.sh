#!/usr/bin/env bash
# `npm run up`: install what is missing, start PostgreSQL, the broker and a local agent, print
# where to log in. Runs in the foreground; Ctrl-C stops the services and keeps the desktops
# (the next start re-adopts them); `npm run down` stops the desktops too, `-- --purge` also
# removes the templates.
source "$(dirname "$0")/lib.sh"

exec 9>"$STATE/up.lock"
if ! flock -n 9; then
  die "another 'npm run up' is running (pid $(cat "$STATE/up.pid" 2>/dev/null || echo '?')); stop it first (Ctrl-C there, or npm run down)"
fi
echo $$ >"$STATE/up.pid"

setup
# Desktops of deleted checkouts run on for good unless someone says so.
infra_cli orphans list
infra_cli pg start
export DATABASE_URL="${DATABASE_URL:-$(infra_cli pg url)}"
infra_cli db migrate
infra_cli db seed

IMAGE="${FORKDESK_IMAGE:-golden}"
say "preparing the $IMAGE image (first run builds it, later runs reuse the cache)…"
manifest=$(infra_cli image build "$IMAGE") || die "building the $IMAGE image failed (see the lines above)"

service_dir=$(infra_cli service-dir)
agent_dir="$service_dir/agent"
mkdir -p "$agent_dir"
token_file="$STATE/agent-enrollment.token"
enroll=()
[ -f "$agent_dir/agent-credentials.json" ] || enroll=(--enroll-agent local --token-file "$token_file")
if [ "$IMAGE" = tiny ]; then image_args=(--image "Tiny test image" --memory-mib "${FORKDESK_DESKTOP_MIB:-256}")
else image_args=(--image "Debian desktop" --memory-mib "${FORKDESK_DESKTOP_MIB:-1024}"); fi
node broker/dist/cli.js setup-local --manifest "$manifest" "${image_args[@]}" "${enroll[@]}" ||
  die "could not set up the image, pool and agent in the database"

broker_port=$(infra_cli port "${FORKDESK_BROKER_PORT:-8080}")
export FORKDESK_BROKER_PORT=$broker_port
broker_url="http://127.0.0.1:$broker_port"
pids=()
stop_all() {
  say "stopping (desktops keep running and are re-adopted at the next start)…"
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -f "$STATE/up.pid" "$STATE/services.pids"
}
trap stop_all EXIT
trap 'exit 0' INT TERM

node broker/dist/main.js >>"$LOGS/broker.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 60); do
  curl -fsS "$broker_url/health" >/dev/null 2>&1 && break
  kill -0 "${pids[0]}" 2>/dev/null || die "the broker stopped at start (see .forkdesk/logs/broker.log)"
  sleep 0.5
done

agent_env=(
  FORKDESK_DATA_DIR="$agent_dir"
  FORKDESK_SHM_DIR="/dev/shm/forkdesk-$(basename "$service_dir")"
  FORKDESK_BROKER_URL="$broker_url"
  FORKDESK_API_PORT="$(infra_cli port "${FORKDESK_API_PORT:-7450}")"
  FORKDESK_GATEWAY_PORT="$(infra_cli port "${FORKDESK_GATEWAY_PORT:-4822}")"
)
[ -f "$token_file" ] && agent_env+=(FORKDESK_ENROLLMENT_TOKEN="$(cat "$token_file")")
env "${agent_env[@]}" node hypervisor-agent/dist/main.js >>"$LOGS/agent.log" 2>&1 &
pids+=($!)
echo "${pids[*]}" >"$STATE/services.pids"
sleep 2
kill -0 "${pids[1]}" 2>/dev/null || die "the agent stopped at start (see .forkdesk/logs/agent.log)"
rm -f "$token_file"

cat <<MSG

Forkdesk is up: open $broker_url
  sign in as admin (its password was printed at the first start, above in that run)
  pool "Standard desktop" (image: $IMAGE) fills to 2 spare desktops; the first template boots once
  PostgreSQL 127.0.0.1:$(node -p "require('$STATE/pg.json').port"), logs in .forkdesk/logs/
  Ctrl-C stops the services and keeps the desktops (re-adopted at the next start);
  npm run down stops the desktops too; npm run down -- --purge also removes the templates
MSG
wait -n "${pids[@]}" || true
say "a service stopped (see .forkdesk/logs/); shutting down the rest"
