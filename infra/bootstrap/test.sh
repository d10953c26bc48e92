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
# Specs too: ts-jest compiles them one file at a time (isolatedModules) and so never checks their types.
step typecheck npx nx run-many -t typecheck --outputStyle=static

# Everything the tests' processes start or touch is recorded, so that what they leave behind is
# named at the end (only this run's: other checkouts on the machine are not ours to judge).
FORKDESK_TEST_RUN="$$-$(date +%s)"
export FORKDESK_TEST_RUN
rm -f "$STATE/leftovers-seen.json"
node "$ROOT/infra/dist/cli.js" leftovers watch "$STATE/leftovers-seen.json" $$ "$FORKDESK_TEST_RUN" &
watcher=$!
step tests npx nx run-many -t test --parallel=1 --outputStyle=static
kill -TERM "$watcher" 2>/dev/null || true
wait "$watcher" 2>/dev/null || true
step leftovers infra_cli leftovers check "$STATE/leftovers-seen.json" --reap

node infra/bootstrap/test-summary.js "$(($(date +%s) - started))" || status=1
exit $status
