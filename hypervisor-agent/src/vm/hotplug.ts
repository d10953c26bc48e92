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
