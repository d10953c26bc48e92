// Pure builder of QEMU's command line from a typed VM spec. Template and child share every
// device option (migration needs the same machine); only RAM, disk and -incoming differ.
import { Accelerator } from '@forkdesk/agent-contract';

export const MACHINE = 'pc-q35-10.0';

export type RamSpec =
  /** A template (or a forkable running VM): RAM lives in a shared tmpfs file. */
  | { kind: 'shared'; path: string }
  /** A child: a private copy-on-write mapping of a frozen template RAM file. */
  | { kind: 'frozen'; path: string };

export interface VmSpec {
  /** Used as the process name so a pid can be checked to still be this VM. */
  id: string;
  accel: Accelerator;
  tcgTbSizeMiB: number;
  cpuModel: string;
  vcpus: number;
  memoryMiB: number;
  ram: RamSpec;
  kernel: string;
  initrd: string;
  append: string;
  /** The VM's own qcow2 (template overlay or child delta). */
  disk: string;
  vmgenid: string;
  qmpSocket: string;
  qgaSocket: string;
  vncSocket: string;
  consoleLog: string;
  hotplugPorts: number;
  /** Start paused waiting for `migrate-incoming`. */
  incoming: boolean;
  runAsUser?: string;
  sandbox: boolean;
  /**
   * The NIC's backend. Absent: slirp with `restrict=on` (no path out of the VM). A tap (NAT
   * desktops) is opened by name inside the network namespace QEMU is started in. The NIC's
   * device state does not depend on its backend, so a child may differ from its template.
   */
  tap?: string;
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** QEMU option values escape a comma by doubling it. */
export function qemuEscape(value: string): string {
  return value.replace(/,/g, ',,');
}

function requirePath(name: string, value: string): string {
  if (!value.startsWith('/')) throw new Error(`${name} must be an absolute path, got "${value}"`);
  if (/[\0\n]/.test(value)) throw new Error(`${name} contains a forbidden character`);
  return qemuEscape(value);
}

function validate(spec: VmSpec): void {
  if (!ID_RE.test(spec.id)) throw new Error(`VM id "${spec.id}" must match ${ID_RE}`);
  if (!Number.isInteger(spec.vcpus) || spec.vcpus < 1 || spec.vcpus > 64)
    throw new Error(`vcpus must be 1..64, got ${spec.vcpus}`);
  if (!Number.isInteger(spec.memoryMiB) || spec.memoryMiB < 64 || spec.memoryMiB > 1024 * 1024)
    throw new Error(`memoryMiB must be 64..1048576, got ${spec.memoryMiB}`);
  if (!UUID_RE.test(spec.vmgenid)) throw new Error(`vmgenid must be a UUID, got "${spec.vmgenid}"`);
  if (!Number.isInteger(spec.hotplugPorts) || spec.hotplugPorts < 0 || spec.hotplugPorts > 16)
    throw new Error(`hotplugPorts must be 0..16, got ${spec.hotplugPorts}`);
  if (!/^[A-Za-z0-9_.-]+$/.test(spec.cpuModel)) throw new Error(`bad CPU model "${spec.cpuModel}"`);
  if (spec.cpuModel === 'host') throw new Error('-cpu host is not portable: use a named model');
  if (!Number.isInteger(spec.tcgTbSizeMiB) || spec.tcgTbSizeMiB < 1)
    throw new Error(`tcgTbSizeMiB must be a positive integer, got ${spec.tcgTbSizeMiB}`);
}

function netdevs(spec: VmSpec): string[] {
  if (spec.tap === undefined) return ['-netdev', 'user,id=net0,restrict=on'];
  if (!/^[A-Za-z0-9_-]{1,15}$/.test(spec.tap)) throw new Error(`bad tap name "${spec.tap}"`);
  return [
    // The template's device state carries a "slirp" section (QEMU 10): an unattached slirp
    // takes it, or loading fails with "Unknown savevm section 'slirp'".
    '-netdev',
    'user,id=slirp0,restrict=on',
    // No vnet header: the template negotiated its NIC features with slirp, which has none.
    '-netdev',
    `tap,id=net0,ifname=${spec.tap},script=no,downscript=no,vnet_hdr=off`,
  ];
}

/** The id of the hot-plug root port `i`; a per-user disk is `device_add`ed with `bus=` this. */
export function hotplugPortId(i: number): string {
  return `hp${i}`;
}

export function buildQemuArgs(spec: VmSpec): string[] {
  validate(spec);
  const ram = requirePath('ram.path', spec.ram.path);
  const ramOpts =
    spec.ram.kind === 'shared'
      ? `share=on`
      : // Private CoW mapping of a file that must never change: open it read-only.
        `share=off,readonly=on,rom=off`;
  const accel = spec.accel === 'kvm' ? 'kvm' : `tcg,thread=multi,tb-size=${spec.tcgTbSizeMiB}`;
  // prettier-ignore
  const args = [
    '-name', `${spec.id},process=fd-${spec.id}`,
    '-nodefaults',
    '-no-user-config',
    // No HPET: its emulation wakes QEMU's main loop ~500 times a second even in an idle guest.
    '-machine', `${MACHINE},memory-backend=mem,hpet=off`,
    '-accel', accel,
    '-cpu', spec.cpuModel,
    '-smp', String(spec.vcpus),
    '-m', `${spec.memoryMiB}M`,
    '-object', `memory-backend-file,id=mem,size=${spec.memoryMiB}M,mem-path=${ram},${ramOpts}`,
    '-kernel', requirePath('kernel', spec.kernel),
    '-initrd', requirePath('initrd', spec.initrd),
    '-append', spec.append,
    '-device', 'VGA,id=vga,addr=01.0',
    '-chardev', `file,id=ser0,path=${requirePath('consoleLog', spec.consoleLog)}`,
    '-serial', 'chardev:ser0',
    '-device', 'virtio-serial-pci,id=vser0,addr=03.0',
    '-chardev', `socket,id=qga0,path=${requirePath('qgaSocket', spec.qgaSocket)},server=on,wait=off`,
    '-device', 'virtserialport,bus=vser0.0,chardev=qga0,name=org.qemu.guest_agent.0',
    // An absolute pointer, so the browser's mouse position is the desktop's.
    '-device', 'virtio-tablet-pci,id=tablet0,addr=06.0',
    ...netdevs(spec),
    '-device', 'virtio-net-pci,netdev=net0,id=nic0,addr=04.0,romfile=',
    '-blockdev', `driver=file,filename=${requirePath('disk', spec.disk)},node-name=disk0-file`,
    '-blockdev', 'driver=qcow2,file=disk0-file,node-name=disk0',
    '-device', 'virtio-blk-pci,drive=disk0,id=vda,addr=05.0',
    '-device', `vmgenid,id=vmgenid0,guid=${spec.vmgenid}`,
  ];
  for (let i = 0; i < spec.hotplugPorts; i++) {
    const slot = (0x10 + i).toString(16).padStart(2, '0');
    args.push('-device', `pcie-root-port,id=${hotplugPortId(i)},chassis=${i + 1},addr=${slot}.0`);
  }
  args.push(
    '-chardev',
    `socket,id=qmp0,path=${requirePath('qmpSocket', spec.qmpSocket)},server=on,wait=off`,
    '-mon',
    'chardev=qmp0,mode=control',
    '-vnc',
    `unix:${requirePath('vncSocket', spec.vncSocket)}`,
    '-display',
    'none',
  );
  // No obsolete syscalls, no exec, no priority or affinity changes: a guest that escapes into
  // QEMU gets none of them. set*uid is denied too unless QEMU drops to the VM user itself (it
  // does so after the sandbox starts); that user has no privilege to raise again.
  if (spec.sandbox)
    args.push(
      '-sandbox',
      `on,obsolete=deny,spawn=deny,resourcecontrol=deny${spec.runAsUser ? '' : ',elevateprivileges=deny'}`,
    );
  if (spec.runAsUser) {
    if (!/^[a-z_][a-z0-9_-]*$/.test(spec.runAsUser))
      throw new Error(`bad user "${spec.runAsUser}"`);
    args.push('-run-with', `user=${spec.runAsUser}`);
  }
  if (spec.incoming) args.push('-incoming', 'defer');
  return args;
}
