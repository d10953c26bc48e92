export * from './api/http';
