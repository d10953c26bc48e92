#!/usr/bin/env bash
# `npm run down`: stop what `npm run up` started.
source "$(dirname "$0")/lib.sh"

[ -f infra/dist/cli.js ] || die "nothing to stop: Forkdesk was never started here"
infra_cli pg stop
