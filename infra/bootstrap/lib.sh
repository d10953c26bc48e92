# Shared steps of `npm run up`, `npm test` and `npm run bench`: everything a fresh Debian machine needs.
# Sourced, not run. Each step says what it does, skips what is done, and fails with one clear line.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# FORKDESK_STATE_DIR: another state dir for this checkout (the restart test runs a second
# Forkdesk beside the suite's own this way).
STATE="${FORKDESK_STATE_DIR:-$ROOT/.forkdesk}"
LOGS="$STATE/logs"
mkdir -p "$LOGS"
cd "$ROOT"

say() { printf 'forkdesk: %s\n' "$*" >&2; }
die() {
  printf 'forkdesk: error: %s\n' "$*" >&2
  exit 1
}

# Debian packages the project runs on; QEMU comes from bookworm-backports (10.x, see DESIGN.md §2).
DEBS=(qemu-utils postgresql chromium busybox-static qemu-guest-agent linux-image-amd64 cpio libturbojpeg0 mmdebstrap e2fsprogs nftables iproute2 openssl)
QEMU_MIN_MAJOR=10
BACKPORTS_LIST=/etc/apt/sources.list.d/forkdesk-backports.sources

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

qemu_is_current() {
  installed qemu-system-x86 || return 1
  local v
  v=$(dpkg-query -W -f='${Version}' qemu-system-x86)
  v=${v#*:}
  [ "${v%%.*}" -ge "$QEMU_MIN_MAJOR" ]
}

apt_get() {
  DEBIAN_FRONTEND=noninteractive apt-get -y -q -o Dpkg::Use-Pty=0 "$@" >>"$LOGS/apt.log" 2>&1
}

ensure_debs() {
  local missing=() p
  for p in "${DEBS[@]}"; do installed "$p" || missing+=("$p"); done
  local need_qemu=0
  qemu_is_current || need_qemu=1
  if [ ${#missing[@]} -eq 0 ] && [ $need_qemu -eq 0 ]; then
    say "Debian packages present (QEMU $(dpkg-query -W -f='${Version}' qemu-system-x86 | sed 's/^[0-9]*://; s/+.*//'))"
    return
  fi
  [ $need_qemu -eq 1 ] && missing+=("qemu-system-x86 (>= $QEMU_MIN_MAJOR, bookworm-backports)")
  if [ "$(id -u)" -ne 0 ]; then
    die "missing Debian packages: ${missing[*]} — run this command as root once, or install them with apt-get"
  fi
  say "installing Debian packages: ${missing[*]} (log: .forkdesk/logs/apt.log)…"
  if [ ! -f "$BACKPORTS_LIST" ]; then
    cat >"$BACKPORTS_LIST" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  fi
  # Our own cluster lives under .forkdesk; the package's default cluster would only be in the way.
  mkdir -p /etc/postgresql-common
  if ! grep -qs '^create_main_cluster' /etc/postgresql-common/createcluster.conf; then
    echo 'create_main_cluster = false' >>/etc/postgresql-common/createcluster.conf
  fi
  say "  apt-get update…"
  apt_get update || die "apt-get update failed (see .forkdesk/logs/apt.log); check access to Debian's mirrors"
  if [ $need_qemu -eq 1 ]; then
    say "  QEMU from bookworm-backports…"
    apt_get install -t bookworm-backports qemu-system-x86 qemu-utils ||
      die "installing QEMU from bookworm-backports failed (see .forkdesk/logs/apt.log); fix: apt-get install -t bookworm-backports qemu-system-x86"
  fi
  local rest=()
  for p in "${DEBS[@]}"; do installed "$p" || rest+=("$p"); done
  if [ ${#rest[@]} -gt 0 ]; then
    say "  ${rest[*]}…"
    apt_get install --no-install-recommends "${rest[@]}" ||
      die "apt-get install ${rest[*]} failed (see .forkdesk/logs/apt.log); fix: apt-get install ${rest[*]}"
  fi
  say "Debian packages installed"
}

ensure_node_modules() {
  command -v node >/dev/null || die "node is missing; install Node.js 20 or newer"
  local want have=''
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  [ -f node_modules/.forkdesk-lock.sha256 ] && have=$(cat node_modules/.forkdesk-lock.sha256)
  if [ "$want" = "$have" ]; then
    say "npm dependencies up to date"
    return
  fi
  say "installing npm dependencies (npm ci, log: .forkdesk/logs/npm.log)…"
  npm ci --no-audit --no-fund >"$LOGS/npm.log" 2>&1 || die "npm ci failed (see .forkdesk/logs/npm.log)"
  echo "$want" >node_modules/.forkdesk-lock.sha256
  say "npm dependencies installed"
}

ensure_build() {
  say "building (Nx caches what did not change)…"
  npx nx run-many -t build --outputStyle=static >"$LOGS/build.log" 2>&1 || {
    tail -n 30 "$LOGS/build.log" >&2
    die "build failed (see .forkdesk/logs/build.log)"
  }
  say "build done"
}

infra_cli() { node "$ROOT/infra/dist/cli.js" "$@"; }

# The set-up both commands share; waits for another run's set-up instead of racing it.
setup() {
  exec 8>"$STATE/setup.lock"
  if ! flock -n 8; then
    say "another Forkdesk set-up is running; waiting for it…"
    flock 8
  fi
  ensure_debs
  ensure_node_modules
  ensure_build
  flock -u 8
}
