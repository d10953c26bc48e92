#!/bin/sh
# Runs inside the new root (chroot) after the packages are installed: the desktop account,
# services, and trimming of what a QEMU desktop never uses.
set -eu
KVER=$(ls /lib/modules)

# The desktop account: its session runs from boot and is frozen with the template; the fork hook
# renames it to the assigned user. Its home at freeze time is the session's own directory (the
# user's home, /home/<login>, exists only from the fork hook on). Rootless-capable groups for
# the display and input devices; its password is locked (the session starts without a login).
useradd --uid 1000 --user-group --home-dir /var/lib/forkdesk-session --create-home \
  --shell /bin/bash --groups video,input,render,audio desktop
chmod 0700 /var/lib/forkdesk-session
# A ready-made home for a desktop without a persistent disk: the fork hook moves it into place.
cp -a /etc/skel /var/lib/forkdesk-home
chown -R 1000:1000 /var/lib/forkdesk-home
chmod 0700 /var/lib/forkdesk-home
passwd -l desktop >/dev/null
passwd -l root >/dev/null

# Services: the network, X, the holding screen and the desktop session at boot.
systemctl enable forkdesk-net.service forkdesk-x.service forkdesk-greeter.service \
  forkdesk-session.service >/dev/null
systemctl set-default graphical.target >/dev/null
# The panel's launchers start the user's programs through forkdesk-launch (the user's HOME).
install -d /usr/local/share/applications
for app in debian-xterm:xterm pcmanfm:pcmanfm org.xfce.mousepad:mousepad firefox-esr:firefox-esr; do
  sed -e 's|^Exec=|Exec=/usr/local/bin/forkdesk-launch |' -e '/^TryExec=/d' \
    "/usr/share/applications/${app%%:*}.desktop" >"/usr/local/share/applications/forkdesk-${app#*:}.desktop"
done
# Nothing should wake up in an idle desktop child (every dirtied page is private memory).
systemctl mask apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service \
  fstrim.timer getty@tty1.service serial-getty@ttyS0.service systemd-timesyncd.service \
  dpkg-db-backup.timer systemd-tmpfiles-clean.timer >/dev/null 2>&1 || true
ln -sf /etc/machine-id /var/lib/dbus/machine-id
# Each command line goes to ~/.bash_history as it runs: a desktop may be destroyed without its
# shells exiting, and the history is on the user's persistent disk.
echo "PROMPT_COMMAND='history -a'" >>/etc/bash.bashrc

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
