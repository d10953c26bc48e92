#!/usr/bin/env bash
# `npm run down [-- --purge | --all-orphans]`: stop what `npm run up` started, this checkout's
# desktops included (users' home disks and the database stay; the next `up` forks fresh
# desktops). --purge also removes the templates, /dev/shm and the agent's files; --all-orphans
# stops and removes the desktops and services of checkouts that no longer exist.
source "$(dirname "$0")/lib.sh"

mode=${1:-}
case "$mode" in
  '' | --purge | --all-orphans) ;;
  *) die "usage: npm run down [-- --purge | --all-orphans]" ;;
esac
[ -f infra/dist/cli.js ] || die "nothing to stop: Forkdesk was never started here"
if [ "$mode" = --all-orphans ]; then
  infra_cli orphans remove
  exit 0
fi

# A process and its children get 10 s after SIGTERM, then SIGKILL.
stop_tree() {
  local p=$1 name=$2
  kill -0 "$p" 2>/dev/null || return 0
  kill -TERM "$p" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$p" 2>/dev/null || { say "$name stopped (pid $p)"; return 0; }
    sleep 0.1
  done
  kill -KILL "$p" 2>/dev/null || true
  say "$name did not stop within 10 s: killed (pid $p)"
}
if [ -f "$STATE/services.pids" ]; then
  read -r broker_pid agent_pid _ <"$STATE/services.pids" || true
  [ -n "${agent_pid:-}" ] && stop_tree "$agent_pid" agent
  [ -n "${broker_pid:-}" ] && stop_tree "$broker_pid" broker
  rm -f "$STATE/services.pids"
else
  say "broker and agent were not running"
fi

service_dir=$(infra_cli service-dir)
agent_dir="$service_dir/agent"
shm_dir="/dev/shm/forkdesk-$(basename "$service_dir")"
if [ -d "$agent_dir" ]; then
  # The host and the broker's database in one step: what goes on the host goes in its rows too.
  purge_args=(--desktops)
  db_args=()
  if [ "$mode" = --purge ]; then
    purge_args=()
    db_args=(--purge yes)
  fi
  FORKDESK_DATA_DIR="$agent_dir" FORKDESK_SHM_DIR="$shm_dir" FORKDESK_LOG_LEVEL=error \
    node hypervisor-agent/dist/purge.js "${purge_args[@]}" || say "stopping the desktops failed (see above)"
  agent_id=$(node -p "require('$agent_dir/agent-credentials.json').agentId" 2>/dev/null || true)
  if [ -n "$agent_id" ] && [ -f "$STATE/pg.json" ]; then
    DATABASE_URL="${DATABASE_URL:-$(infra_cli pg url)}" node broker/dist/cli.js local-down \
      --agent-id "$agent_id" "${db_args[@]}" ||
      say "could not update the broker's database; the agent's next heartbeat will reconcile it"
  fi
  left=$(pgrep -f -- "$agent_dir/" || true)
  if [ -n "$left" ]; then
    say "processes of this checkout's VMs still ran: $(echo $left); killing them"
    kill -KILL $left 2>/dev/null || true
  fi
fi
if [ "$mode" = --purge ]; then
  rm -rf "$shm_dir"
  # The agent keeps its enrollment (and the database its accounts, pools and audit log).
  if [ -d "$agent_dir" ]; then
    find "$agent_dir" -mindepth 1 -maxdepth 1 ! -name 'agent-credentials.json' ! -name 'agent-endpoint.json' ! -name 'tls' \
      -exec rm -rf {} +
  fi
  say "purged: desktops, templates, $shm_dir and the agent's files; kept the database and the agent's enrollment in $service_dir (delete that directory after down to forget them too)"
fi
infra_cli pg stop
say "down: nothing of this checkout runs now; kept $( [ "$mode" = --purge ] && echo 'the database' || echo "templates, users' home disks and the database")"
