/** Finding and checking a desktop's QEMU process from the agent's data dir (fault tests). */
import * as fs from 'fs';
import * as path from 'path';
import { isVmProcess } from '@forkdesk/hypervisor-agent';

/** The pid the agent recorded for a VM (its vm.json). */
export function qemuPid(vmDir: string): number {
  const rec = JSON.parse(fs.readFileSync(path.join(vmDir, 'vm.json'), 'utf8')) as { pid: number };
  return rec.pid;
}

/** True while that pid is alive and is still the QEMU of this VM. */
export function qemuAlive(pid: number, vmId: string): boolean {
  return isVmProcess(pid, vmId);
}
