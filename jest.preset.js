// Shared jest settings: every part tests its TypeScript sources directly through ts-jest.
const path = require('path');

/** @param {string} name the part's name, used in output and in the results file */
module.exports = (name) => ({
  displayName: name,
  rootDir: 'src',
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: path.join(__dirname, 'tsconfig.spec.json') }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // Workspace packages are tested against each other's sources, not stale builds.
  moduleNameMapper: {
    '^@forkdesk/(db|infra|hypervisor-agent)$': path.join(__dirname, '$1/src/index.ts'),
    // A part's test helpers (its src/testing/, never built into dist).
    '^@forkdesk/(broker|db|infra|hypervisor-agent)/testing$': path.join(
      __dirname,
      '$1/src/testing/index.ts',
    ),
    '^@forkdesk/agent-contract$': path.join(__dirname, 'hypervisor-agent/contract/src/index.ts'),
    '^@forkdesk/broker-contract$': path.join(__dirname, 'broker/contract/src/index.ts'),
  },
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  setupFiles: [path.join(__dirname, 'infra/bootstrap/jest-setup.js')],
  reporters: [
    'default',
    [path.join(__dirname, 'infra/bootstrap/jest-results-reporter.js'), { name }],
  ],
});
