export * from './support/bench-report';
