// One helper for every suite: a fresh database per spec file on the test server.
export { createTestDatabase, type TestDatabase } from '../../libs/process-manager/test/support/database.js';
