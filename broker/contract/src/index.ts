// The broker's contract: the types of its API's views and requests (the portal reads them),
// the enumerations every part shares, the image manifest and the Guacamole status codes.
// Types and constants only: no I/O, no Node built-ins, so the browser bundles it as is.
export * from './enums';
export * from './time';
export * from './errors';
export * from './auth';
export * from './desktops';
export * from './images';
export * from './pools';
export * from './users';
export * from './agents';
export * from './audit';
export * from './manifest';
export * from './guacamole-status';
