#!/bin/sh
# Runs inside the new root (chroot) after the packages are installed: the desktop account,
# services, and trimming of what a QEMU desktop never uses.
set -eu
KVER=$(ls /lib/modules)

# The desktop account the fork hook renames to the assigned user. Rootless-capable groups for
# the display and input devices; its password is locked (the session starts without a login).
useradd --uid 1000 --user-group --create-home --shell /bin/bash \
  --groups video,input,render,audio desktop
passwd -l desktop >/dev/null
passwd -l root >/dev/null

# Services: X and the holding screen at boot; the session only from the fork hook.
systemctl enable forkdesk-x.service forkdesk-greeter.service >/dev/null
systemctl set-default graphical.target >/dev/null
# Nothing should wake up in an idle desktop child (every dirtied page is private memory).
systemctl mask apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service \
  fstrim.timer getty@tty1.service serial-getty@ttyS0.service systemd-timesyncd.service \
  dpkg-db-backup.timer systemd-tmpfiles-clean.timer >/dev/null 2>&1 || true
ln -sf /etc/machine-id /var/lib/dbus/machine-id

# Kernel modules for hardware a QEMU VM never has.
cd "/lib/modules/$KVER/kernel"
rm -rf drivers/net/wireless drivers/net/ethernet drivers/media drivers/infiniband drivers/staging \
  drivers/iio drivers/bluetooth drivers/isdn drivers/net/can drivers/net/usb drivers/mtd \
  drivers/gpu/drm/amd drivers/gpu/drm/nouveau drivers/gpu/drm/i915 drivers/gpu/drm/radeon \
  drivers/gpu/drm/gma500 drivers/gpu/drm/mgag200 drivers/gpu/drm/vmwgfx drivers/gpu/drm/ast \
  drivers/scsi/qla2xxx drivers/scsi/lpfc drivers/scsi/mpt3sas drivers/scsi/be2iscsi \
  drivers/scsi/bfa drivers/scsi/qedi drivers/scsi/qedf drivers/scsi/megaraid drivers/scsi/aacraid \
  sound net/wireless net/mac80211 net/bluetooth fs/ocfs2 fs/gfs2 fs/xfs fs/btrfs fs/nfs fs/nfsd \
  fs/ceph fs/smb
depmod "$KVER"
# Caches apt keeps and the build's own leftovers.
rm -rf /var/cache/apt/*.bin /var/lib/apt/lists/* /var/log/*.log
