// What other parts (the cross-part tests and benchmarks) use of the agent.
export * from './engine/engine.port';
export { defaultTemplateCacheDir, loadConfig } from './config';
export { engineDisplayResolver } from './engine/display-resolver';
export { readTlsIdentity } from './enrollment/tls-identity';
export { ForkEngine } from './fork/fork-engine';
export { encodeRegion } from './gateway/encode/encoder';
export { encodePng } from './gateway/encode/png';
export { RfbClient, type RfbEncodingName } from './gateway/rfb/client';
export { DisplayGateway } from './gateway/server';
export type { ForkHookResult, ForkIdentity } from './guest/fork-hook';
export { InsufficientMemoryError, readHostMemory, readProcessMemory } from './memory/proc';
export { encodeJpeg } from './native/turbojpeg';
export { connectQmp } from './qmp/client';
export { isVmProcess, killVmsUnder } from './vm/process';
