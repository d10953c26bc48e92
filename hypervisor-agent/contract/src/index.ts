export * from './api';
export * from './enrollment';
export * from './heartbeat';
export * from './tickets';
export * from './pki';
