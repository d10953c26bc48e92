export * from './cache';
export * from './cpio';
export * from './progress';
export * from './tiny-image';
