import { afterAll, beforeAll } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { PROCESS_MANAGER_MIGRATIONS } from '../../src/typeorm/migrations/index.js';

/** A fresh, empty database on the test server (embedded, or DATABASE_URL), dropped by `drop()`. */
export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl)
    throw new Error('DATABASE_URL is not set: run the tests through `npm test` (it starts PostgreSQL).');
  const name = `pm_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () =>
      withAdmin(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(
        () => undefined,
      ),
  };
}

async function withAdmin<T>(serverUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Registers `beforeAll`/`afterAll` hooks that create this spec file's database and drop it;
 * read `url` inside tests.
 */
export function useTestDatabase(): { readonly url: string } {
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });
  return {
    get url() {
      if (!db) throw new Error('The test database exists only inside tests.');
      return db.url;
    },
  };
}

/** Runs the library's migrations on `url`, as an app's DataSource would (`migrationsTableName`: its own). */
export async function migrateTestDatabase(
  url: string,
  options: { migrationsTableName?: string } = {},
): Promise<void> {
  const dataSource = new DataSource({
    type: 'postgres',
    driver: pg,
    url,
    migrations: PROCESS_MANAGER_MIGRATIONS,
    logging: false,
    ...options,
  });
  await dataSource.initialize();
  try {
    await dataSource.runMigrations();
  } finally {
    await dataSource.destroy();
  }
}
