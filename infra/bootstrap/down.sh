#!/usr/bin/env bash
# `npm run down [-- --purge]`: stop what `npm run up` started; --purge also destroys the desktops.
source "$(dirname "$0")/lib.sh"

[ -f infra/dist/cli.js ] || die "nothing to stop: Forkdesk was never started here"
if [ -f "$STATE/services.pids" ]; then
  for p in $(cat "$STATE/services.pids"); do kill -TERM "$p" 2>/dev/null || true; done
  say "broker and agent stopped"
fi
if [ "${1:-}" = "--purge" ]; then
  service_dir=$(infra_cli service-dir)
  sleep 1 # let a stopping agent release its data dir
  FORKDESK_DATA_DIR="$service_dir/agent" FORKDESK_SHM_DIR="/dev/shm/forkdesk-$(basename "$service_dir")" \
    node hypervisor-agent/dist/purge.js
fi
infra_cli pg stop
