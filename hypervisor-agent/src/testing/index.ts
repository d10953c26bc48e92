// The agent's test helpers (never built into dist): real QEMU VMs, a gateway, a Guacamole client.
export { cpuGroupOf, cpuLimitOf } from './cpu-cgroup';
export { startTestGateway } from './gateway-harness';
export { TestGuacClient, type GuacTransport } from './guac-client';
export { openIntEnv } from './int-env';
export { parsePpm, type RgbImage } from './ppm';
export { sleep, startTestVm, type TestVm } from './qemu-vm';
export { ownCgroupPath } from '../cgroup/tree';
export { CPU_WEIGHTS } from '../cpu/cpu-weights';
