// What other parts' tests use of db (`@forkdesk/db/testing`, never built into dist): a
// migrated database of their own on the test server.
export { createTestDatabase, type TestDatabase } from './test-database';
