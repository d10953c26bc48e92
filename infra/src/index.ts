export * from './pg/private-cluster';
export * from './util/paths';
export * from './util/ports';
export * from './util/run';
export * from './util/service-user';
export * from './images';
export * from './images/golden';
export * from './util/leftovers';
