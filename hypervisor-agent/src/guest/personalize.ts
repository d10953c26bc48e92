// Personalization of a fresh child through its guest agent: hostname, clock, user, disk.
import { GuestAgent } from './client';

const NAME_RE = /^[a-z_][a-z0-9_-]{0,31}$/;
const HOST_RE = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

export function checkHostname(h: string): string {
  if (!HOST_RE.test(h)) throw new Error(`invalid hostname "${h}"`);
  return h;
}

export function checkUserName(u: string): string {
  if (!NAME_RE.test(u)) throw new Error(`invalid user name "${u}"`);
  return u;
}

export async function setHostname(ga: GuestAgent, hostname: string): Promise<void> {
  checkHostname(hostname);
  await ga.run(['sh', '-c', 'hostname "$1" && echo "$1" > /etc/hostname', 'sh', hostname]);
}

export async function setUser(ga: GuestAgent, userName: string): Promise<void> {
  checkUserName(userName);
  await ga.run(['sh', '-c', 'echo "$1" > /etc/forkdesk-user', 'sh', userName]);
}

/** Waits for the disk with `serial` to appear and mounts it at `target`. */
export async function mountDisk(ga: GuestAgent, serial: string, target: string): Promise<string> {
  const script = `
serial="$1"; target="$2"; dev=
i=0
while [ $i -lt 200 ]; do
  for b in /sys/block/*; do
    [ "$(cat "$b/serial" 2>/dev/null)" = "$serial" ] && dev=/dev/\${b##*/}
  done
  [ -n "$dev" ] && [ -b "$dev" ] && break
  i=$((i + 1)); sleep 0.05
done
[ -n "$dev" ] || { echo "disk $serial did not appear in the guest" >&2; exit 1; }
mkdir -p "$target" && mount -t ext4 "$dev" "$target" && echo "$dev"`;
  return (await ga.run(['sh', '-c', script, 'sh', serial, target], 30_000)).trim();
}
