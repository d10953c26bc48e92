import { buildQemuArgs, qemuEscape, VmSpec } from './args';

const base: VmSpec = {
  id: 'c-1',
  accel: 'tcg',
  tcgTbSizeMiB: 32,
  cpuModel: 'qemu64',
  vcpus: 2,
  memoryMiB: 1024,
  ram: { kind: 'frozen', path: '/dev/shm/fd/t-1.ram' },
  kernel: '/d/images/v1/vmlinuz',
  initrd: '/d/images/v1/initrd.img',
  append: 'console=ttyS0 quiet',
  disk: '/d/vms/c-1/disk.qcow2',
  vmgenid: '8f4f2a56-1111-4222-8333-944455556666',
  qmpSocket: '/d/vms/c-1/qmp.sock',
  qgaSocket: '/d/vms/c-1/qga.sock',
  vncSocket: '/d/vms/c-1/vnc.sock',
  consoleLog: '/d/vms/c-1/console.log',
  hotplugPorts: 2,
  incoming: true,
  runAsUser: 'forkdesk',
  sandbox: true,
};

function opt(args: string[], flag: string): string[] {
  const out: string[] = [];
  args.forEach((a, i) => {
    if (a === flag) out.push(args[i + 1] ?? '');
  });
  return out;
}

describe('buildQemuArgs', () => {
  it('gives a NAT child a tap by name, beside an unattached slirp for the state to load into', () => {
    const a = buildQemuArgs({ ...base, tap: 'tap0' });
    expect(opt(a, '-netdev')).toEqual([
      'user,id=slirp0,restrict=on',
      'tap,id=net0,ifname=tap0,script=no,downscript=no,vnet_hdr=off',
    ]);
    expect(opt(a, '-device')).toContain('virtio-net-pci,netdev=net0,id=nic0,addr=04.0,romfile=');
    expect(() => buildQemuArgs({ ...base, tap: 'tap0,script=/bin/x' })).toThrow(/bad tap name/);
  });

  it('builds a child: private CoW RAM of the frozen file, read-only, paused for its state', () => {
    const a = buildQemuArgs(base);
    expect(opt(a, '-machine')).toEqual(['pc-q35-10.0,memory-backend=mem,hpet=off']);
    expect(opt(a, '-object')).toEqual([
      'memory-backend-file,id=mem,size=1024M,mem-path=/dev/shm/fd/t-1.ram,share=off,readonly=on,rom=off',
    ]);
    expect(opt(a, '-accel')).toEqual(['tcg,thread=multi,tb-size=32']);
    expect(opt(a, '-cpu')).toEqual(['qemu64']);
    expect(opt(a, '-smp')).toEqual(['2']);
    expect(opt(a, '-m')).toEqual(['1024M']);
    expect(opt(a, '-incoming')).toEqual(['defer']);
    expect(opt(a, '-run-with')).toEqual(['user=forkdesk']);
    // Dropping to the VM user is a set*uid after the sandbox starts: allowed here.
    expect(opt(a, '-sandbox')).toEqual(['on,obsolete=deny,spawn=deny,resourcecontrol=deny']);
    expect(opt(a, '-display')).toEqual(['none']);
    expect(opt(a, '-vnc')).toEqual(['unix:/d/vms/c-1/vnc.sock']);
    expect(opt(a, '-netdev')).toEqual(['user,id=net0,restrict=on']);
    expect(opt(a, '-blockdev')[0]).toBe(
      'driver=file,filename=/d/vms/c-1/disk.qcow2,node-name=disk0-file',
    );
    expect(opt(a, '-device')).toEqual([
      'VGA,id=vga,addr=01.0',
      'virtio-serial-pci,id=vser0,addr=03.0',
      'virtserialport,bus=vser0.0,chardev=qga0,name=org.qemu.guest_agent.0',
      'virtio-tablet-pci,id=tablet0,addr=06.0',
      'virtio-net-pci,netdev=net0,id=nic0,addr=04.0,romfile=',
      'virtio-blk-pci,drive=disk0,id=vda,addr=05.0',
      'vmgenid,id=vmgenid0,guid=8f4f2a56-1111-4222-8333-944455556666',
      'pcie-root-port,id=hp0,chassis=1,addr=10.0',
      'pcie-root-port,id=hp1,chassis=2,addr=11.0',
    ]);
    expect(opt(a, '-chardev')).toEqual([
      'file,id=ser0,path=/d/vms/c-1/console.log',
      'socket,id=qga0,path=/d/vms/c-1/qga.sock,server=on,wait=off',
      'socket,id=qmp0,path=/d/vms/c-1/qmp.sock,server=on,wait=off',
    ]);
  });

  it('builds a template: shared RAM file, no -incoming, and KVM when asked', () => {
    const a = buildQemuArgs({
      ...base,
      ram: { kind: 'shared', path: '/dev/shm/fd/t.ram' },
      incoming: false,
      accel: 'kvm',
    });
    expect(opt(a, '-object')).toEqual([
      'memory-backend-file,id=mem,size=1024M,mem-path=/dev/shm/fd/t.ram,share=on',
    ]);
    expect(a).not.toContain('-incoming');
    expect(opt(a, '-accel')).toEqual(['kvm']);
  });

  it('keeps the device list identical between template and child (migration needs it)', () => {
    const child = buildQemuArgs(base);
    const template = buildQemuArgs({
      ...base,
      ram: { kind: 'shared', path: '/x.ram' },
      incoming: false,
    });
    expect(opt(template, '-device')).toEqual(opt(child, '-device').map((d) => d));
  });

  it('escapes commas in paths', () => {
    expect(qemuEscape('/a,b')).toBe('/a,,b');
    const a = buildQemuArgs({ ...base, disk: '/d/x,y.qcow2' });
    expect(opt(a, '-blockdev')[0]).toBe('driver=file,filename=/d/x,,y.qcow2,node-name=disk0-file');
  });

  it('denies set*uid in the sandbox when QEMU does not drop to a user itself', () => {
    const a = buildQemuArgs({ ...base, runAsUser: undefined });
    expect(opt(a, '-sandbox')).toEqual([
      'on,obsolete=deny,spawn=deny,resourcecontrol=deny,elevateprivileges=deny',
    ]);
  });

  it('omits privilege drop and sandbox when not configured', () => {
    const a = buildQemuArgs({ ...base, runAsUser: undefined, sandbox: false });
    expect(a).not.toContain('-run-with');
    expect(a).not.toContain('-sandbox');
  });

  it('rejects bad specs with clear errors', () => {
    expect(() => buildQemuArgs({ ...base, id: 'a b' })).toThrow(/VM id/);
    expect(() => buildQemuArgs({ ...base, cpuModel: 'host' })).toThrow(/not portable/);
    expect(() => buildQemuArgs({ ...base, vmgenid: 'nope' })).toThrow(/UUID/);
    expect(() => buildQemuArgs({ ...base, memoryMiB: 10 })).toThrow(/memoryMiB/);
    expect(() => buildQemuArgs({ ...base, kernel: 'relative' })).toThrow(/absolute/);
    expect(() => buildQemuArgs({ ...base, runAsUser: 'root;x' })).toThrow(/bad user/);
  });
});
