import type { Accelerator, VmShape } from '@forkdesk/agent-contract';
import { randomUUID } from 'crypto';
import type { EngineConfig } from '../config';
import type { ImageVersion } from '../templates/images';
import type { VmSpec } from './args';
import { vmChannels, type VmPaths } from './layout';

/** What of the agent's configuration a booted VM's command line depends on. */
export type BootConfig = Pick<
  EngineConfig,
  'tcgTbSizeMiB' | 'cpuModel' | 'hotplugPorts' | 'runAsUser' | 'sandbox'
>;

/**
 * The spec of a VM booted from an image (a template build, a running VM, the KVM probe):
 * its RAM in a shared file (so it can be frozen or forked later), its own disk overlay.
 */
export function bootSpec(
  cfg: BootConfig,
  vm: {
    id: string;
    accel: Accelerator;
    shape: VmShape;
    image: Pick<ImageVersion, 'kernel' | 'initrd' | 'append'>;
    ramFile: string;
    disk: string;
    paths: VmPaths;
    hotplugPorts?: number;
  },
): VmSpec {
  return {
    id: vm.id,
    accel: vm.accel,
    tcgTbSizeMiB: cfg.tcgTbSizeMiB,
    cpuModel: cfg.cpuModel,
    vcpus: vm.shape.vcpus,
    memoryMiB: vm.shape.memoryMiB,
    ram: { kind: 'shared', path: vm.ramFile },
    kernel: vm.image.kernel,
    initrd: vm.image.initrd,
    append: vm.image.append,
    disk: vm.disk,
    vmgenid: randomUUID(),
    ...vmChannels(vm.paths),
    hotplugPorts: vm.hotplugPorts ?? cfg.hotplugPorts,
    incoming: false,
    runAsUser: cfg.runAsUser || undefined,
    sandbox: cfg.sandbox,
  };
}
