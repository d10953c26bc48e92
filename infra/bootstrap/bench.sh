#!/usr/bin/env bash
# `npm run bench -- <name>`: set up, run test/bench/<name>.ts, which prints a table and writes .forkdesk/bench/<name>.json.
source "$(dirname "$0")/lib.sh"

name="${1:-}"
[ -n "$name" ] || die "usage: npm run bench -- <name>   (one of: $(ls test/bench/*.ts 2>/dev/null | xargs -n1 basename | sed 's/\.ts$//' | tr '\n' ' '))"
[ -f "test/bench/$name.ts" ] || die "no benchmark named '$name' (test/bench/$name.ts)"
shift
setup
mkdir -p "$STATE/bench"
exec npx tsx --tsconfig test/tsconfig.json "test/bench/$name.ts" "$@"
