#!/usr/bin/env bash
# `npm run up`: install what is missing, start everything, print where to log in.
source "$(dirname "$0")/lib.sh"

exec 9>"$STATE/up.lock"
if ! flock -n 9; then
  die "another 'npm run up' is running (pid $(cat "$STATE/up.pid" 2>/dev/null || echo '?')); stop it first (Ctrl-C there, or npm run down)"
fi
echo $$ >"$STATE/up.pid"

setup
infra_cli pg start
export DATABASE_URL="${DATABASE_URL:-$(infra_cli pg url)}"
infra_cli db migrate
infra_cli db seed

cat <<MSG

Forkdesk is up.
  PostgreSQL  127.0.0.1:$(node -p "require('$STATE/pg.json').port") (private cluster under .forkdesk/pg)
  Stop it with: npm run down
MSG
