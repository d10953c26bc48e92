// What tests of other parts use from infra (`@forkdesk/infra/testing`); not built into dist.
export * from './screen';
