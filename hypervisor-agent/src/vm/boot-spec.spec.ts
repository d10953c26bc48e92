import { buildQemuArgs } from './args';
import { bootSpec } from './boot-spec';
import { vmPaths } from './layout';

const cfg = {
  tcgTbSizeMiB: 32,
  cpuModel: 'qemu64',
  hotplugPorts: 2,
  runAsUser: '',
  sandbox: true,
};
const image = { kernel: '/img/vmlinuz', initrd: '/img/initrd', append: 'console=ttyS0' };

describe('bootSpec', () => {
  it('boots the image with its RAM in a shared file and its own overlay', () => {
    const paths = vmPaths('/var/lib/forkdesk/vms/v-1');
    const spec = bootSpec(cfg, {
      id: 'v-1',
      accel: 'tcg',
      shape: { vcpus: 2, memoryMiB: 512 },
      image,
      ramFile: '/dev/shm/forkdesk/v-1.ram',
      disk: paths.disk,
      paths,
    });
    expect(spec).toMatchObject({
      id: 'v-1',
      accel: 'tcg',
      vcpus: 2,
      memoryMiB: 512,
      ram: { kind: 'shared', path: '/dev/shm/forkdesk/v-1.ram' },
      disk: paths.disk,
      qmpSocket: paths.qmpSocket,
      qgaSocket: paths.qgaSocket,
      hotplugPorts: 2,
      incoming: false,
      sandbox: true,
    });
    // No user configured: QEMU is not asked to drop to one.
    expect(spec.runAsUser).toBeUndefined();
    expect(spec.vmgenid).toMatch(/^[0-9a-f-]{36}$/);
    expect(buildQemuArgs(spec)).toContain('-kernel');
  });

  it('lets the caller fix the hot-plug ports (the KVM probe has none) and runs as the VM user', () => {
    const paths = vmPaths('/var/lib/forkdesk/probe');
    const spec = bootSpec(
      { ...cfg, runAsUser: 'forkdesk-vm' },
      {
        id: 'probe-1',
        accel: 'kvm',
        shape: { vcpus: 1, memoryMiB: 256 },
        image,
        ramFile: '/dev/shm/p.ram',
        disk: paths.disk,
        paths,
        hotplugPorts: 0,
      },
    );
    expect(spec.hotplugPorts).toBe(0);
    expect(spec.runAsUser).toBe('forkdesk-vm');
  });
});
