#!/usr/bin/env bash
# `npm test`: set up what is missing, then every check and every test, with one total at the end.
source "$(dirname "$0")/lib.sh"

started=$(date +%s)
setup
rm -rf "$STATE/test-results"
mkdir -p "$STATE/test-results"

if [ -z "${DATABASE_URL:-}" ]; then
  DATABASE_URL=$(infra_cli db create-test) || die "could not start the private PostgreSQL (see /var/lib/forkdesk/*/postgresql.log)"
  export DATABASE_URL
  trap 'infra_cli db drop "$DATABASE_URL" || true' EXIT
fi
say "test database: ${DATABASE_URL##*/}"

status=0
step() {
  local name=$1
  shift
  local t0=$(date +%s)
  say "── $name"
  if "$@"; then
    echo "{\"step\":\"$name\",\"seconds\":$(($(date +%s) - t0)),\"ok\":true}" >"$STATE/test-results/step-$name.json"
  else
    status=1
    echo "{\"step\":\"$name\",\"seconds\":$(($(date +%s) - t0)),\"ok\":false}" >"$STATE/test-results/step-$name.json"
  fi
}

step format npx prettier --check --log-level warn .
step lint npx nx run-many -t lint --outputStyle=static
step tests npx nx run-many -t test --parallel=1 --outputStyle=static

node infra/bootstrap/test-summary.js "$(($(date +%s) - started))" || status=1
exit $status
