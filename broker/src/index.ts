export * from './config';
export * from './create-app';
