#!/bin/sh
# PID 1 of the Forkdesk tiny test image: mounts, loads virtio modules, starts the real
# qemu-guest-agent, mounts the image disk, then draws a counter on the console forever so a
# forked child visibly continues its parent's state.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /run /tmp /dev/pts /mnt/disk /var/run
mount -t tmpfs -o mode=0755 run /run
mount -t tmpfs tmp /tmp
hostname forkdesk-tiny
while read -r m; do insmod "/lib/modules/$m"; done < /etc/modules.order

# The guest agent's virtio-serial port: found by name (no udev here to make the by-name link).
port=
for i in 1 2 3 4 5 6 7 8 9 10; do
  for p in /sys/class/virtio-ports/*; do
    [ "$(cat "$p/name" 2>/dev/null)" = org.qemu.guest_agent.0 ] && port=/dev/$(basename "$p")
  done
  [ -n "$port" ] && break
  sleep 0.2
done
( while true; do qemu-ga -m virtio-serial -p "$port" -t /run -f /run/qemu-ga.pid; sleep 0.2; done ) &

# The image's disk, if present (children each write to their own qcow2 delta).
[ -b /dev/vda ] && mount -t ext4 /dev/vda /mnt/disk

echo "forkdesk tiny image ready" > /dev/ttyS0
# The loop forks nothing (shell builtins only, a FIFO read as the 1 s timer): under TCG every
# fork+exec costs real host CPU, and hundreds of idle children must stay cheap.
mkfifo /run/tick
exec 3<> /run/tick
n=0
while true; do
  n=$((n + 1))
  # Rewritten in place (no truncation): the number only grows, so a reader never sees it empty.
  echo "$n" 1<> /run/counter
  read -r up _ < /proc/uptime
  read -r host < /proc/sys/kernel/hostname
  printf '\rforkdesk %s counter %d uptime %s   ' "$host" "$n" "$up" > /dev/tty0
  read -r -t 1 _ <&3
done
