export * from './engine/engine.port';
