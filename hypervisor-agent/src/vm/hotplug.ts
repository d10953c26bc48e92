// Hot-plugging a qcow2 disk into a running VM's PCIe root port (a user's persistent disk).
import { JsonChannel } from '../qmp/client';
import { hotplugPortId } from './args';

export interface PluggedDisk {
  port: number;
  node: string;
  device: string;
  path: string;
  /** virtio-blk serial, how the guest finds the disk. */
  serial: string;
}

export async function hotplugDisk(
  qmp: JsonChannel,
  path: string,
  port: number,
): Promise<PluggedDisk> {
  const node = `udisk${port}`;
  const device = `udev${port}`;
  const serial = `fd-user-${port}`;
  await qmp.execute('blockdev-add', {
    driver: 'qcow2',
    'node-name': node,
    file: { driver: 'file', filename: path },
  });
  try {
    await qmp.execute('device_add', {
      driver: 'virtio-blk-pci',
      id: device,
      drive: node,
      bus: hotplugPortId(port),
      serial,
    });
  } catch (err) {
    await qmp.execute('blockdev-del', { 'node-name': node }).catch(() => undefined);
    throw err;
  }
  return { port, node, device, path, serial };
}

const CLIPBOARD_CHARDEV = 'vdagent0';

/**
 * The clipboard channel: a `qemu-vdagent` chardev on the spice agent's virtio-serial port, which
 * QEMU bridges to VNC cut text. Plugged into a child after the fork because QEMU 10 refuses to
 * migrate a VM that has one, so a template cannot carry it. Idempotent per VM.
 */
export async function hotplugClipboard(qmp: JsonChannel): Promise<void> {
  await qmp.execute('chardev-add', {
    id: CLIPBOARD_CHARDEV,
    backend: { type: 'qemu-vdagent', data: { clipboard: true } },
  });
  try {
    await qmp.execute('device_add', {
      driver: 'virtserialport',
      id: 'vdport0',
      bus: 'vser0.0',
      chardev: CLIPBOARD_CHARDEV,
      name: 'com.redhat.spice.0',
    });
  } catch (err) {
    await qmp.execute('chardev-remove', { id: CLIPBOARD_CHARDEV }).catch(() => undefined);
    throw err;
  }
}
