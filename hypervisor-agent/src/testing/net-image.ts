// Test-only: the tiny image with a NIC driver and a DHCP client (slirp's DHCP gives the
// template its address), as a second initramfs appended to the tiny one (the kernel
// unpacks concatenated archives in order; later files replace earlier ones).
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'fs';
import { dirname, join } from 'path';
import { ImageSource } from '../templates/images';
import { buildTinyImage } from '../templates/tiny-image';

/** virtio_net and what it needs beyond the tiny image's virtio modules, in load order. */
const NET_MODULES = [
  'kernel/net/core/failover.ko',
  'kernel/drivers/net/net_failover.ko',
  'kernel/drivers/net/virtio_net.ko',
];
const INSMOD_LINE = 'while read -r m; do insmod "/lib/modules/$m"; done < /etc/modules.order';
const NET_SETUP = [
  "# Test image: the address comes from slirp's DHCP while the template boots (udhcpc goes on",
  '# renewing it in the background), as a desktop image gets it; forks keep it on a NAT tap.',
  '# slirp gives no router while restricted (the template boots so): the route is static.',
  'ip link set lo up',
  'ip link set eth0 up',
  'udhcpc -i eth0 -s /etc/udhcpc.script -p /run/udhcpc.pid -t 20 -T 1 2>>/run/dhcp.err',
  'ip route add default via 10.0.2.2',
].join('\n');
/** udhcpc's hook: applies the lease and logs each event as "<event> <ip> <lease s> <server>". */
const UDHCPC_SCRIPT = [
  '#!/bin/sh',
  'echo "$1 $ip $lease $serverid" >> /run/dhcp.log',
  'case "$1" in',
  '  bound|renew)',
  '    ip addr show dev "$interface" | grep -q "inet $ip/" ||',
  '      { ip addr flush dev "$interface"; ip addr add "$ip/24" dev "$interface"; }',
  '    [ -z "$router" ] || ip route replace default via "$router" ;;',
  '  deconfig) ip addr flush dev "$interface" ;;',
  'esac',
  '',
].join('\n');

export async function buildNetImage(
  repoRoot = join(__dirname, '..', '..', '..'),
): Promise<{ version: string; source: ImageSource }> {
  const tiny = await buildTinyImage(repoRoot);
  // The image builder's manifest, beside the kernel, names the kernel's module tree.
  const manifest = JSON.parse(
    readFileSync(join(dirname(tiny.source.kernel), 'manifest.json'), 'utf8'),
  ) as { kernelRelease: string };
  const modRoot = `/lib/modules/${manifest.kernelRelease}`;
  const init = readFileSync(join(repoRoot, 'infra', 'images', 'tiny', 'init.sh'), 'utf8');
  if (!init.includes(INSMOD_LINE)) throw new Error('tiny init.sh changed: update net-image.ts');
  const order = execFileSync('cpio', ['-i', '--quiet', '--to-stdout', 'etc/modules.order'], {
    input: readFileSync(tiny.source.initrd),
  }).toString();
  const files: [string, Buffer, number][] = [
    ['init', Buffer.from(init.replace(INSMOD_LINE, `${INSMOD_LINE}\n${NET_SETUP}`)), 0o755],
    ['etc/modules.order', Buffer.from(order + NET_MODULES.join('\n') + '\n'), 0o644],
    ['etc/udhcpc.script', Buffer.from(UDHCPC_SCRIPT), 0o755],
    ...NET_MODULES.map((m): [string, Buffer, number] => [
      `lib/modules/${m}`,
      readFileSync(join(modRoot, m)),
      0o644,
    ]),
  ];
  const hash = files
    .reduce(
      (h, [p, data]) => h.update(p).update(data),
      createHash('sha256').update(tiny.source.hash),
    )
    .digest('hex')
    .slice(0, 16);
  const dir = `/var/tmp/forkdesk-netimage-${hash}`;
  const initrd = join(dir, 'initrd.img');
  if (!existsSync(initrd)) {
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    const root = join(tmp, 'root');
    for (const [p, data, mode] of files) {
      mkdirSync(join(root, dirname(p)), { recursive: true });
      writeFileSync(join(root, p), data);
      chmodSync(join(root, p), mode);
    }
    const list = execFileSync('find', ['.', '-mindepth', '1'], { cwd: root });
    const overlay = execFileSync('cpio', ['-o', '--quiet', '-H', 'newc', '-R', '0:0'], {
      cwd: root,
      input: list,
      maxBuffer: 64 << 20,
    });
    writeFileSync(
      join(tmp, 'initrd.img'),
      Buffer.concat([readFileSync(tiny.source.initrd), overlay]),
    );
    rmSync(root, { recursive: true });
    chmodSync(tmp, 0o755);
    try {
      renameSync(tmp, dir);
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another worker published it first
    }
  }
  return { version: `tinynet-${hash}`, source: { ...tiny.source, initrd, hash } };
}
