export * from './entities';
export * from './data-source';
export * from './auth/passwords';
export * from './seed/first-admin';
