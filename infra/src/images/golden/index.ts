export * from './build';
export * from './disk';
export * from './import';
export * from './manifest';
export * from './mirror';
export * from './recipe';
