import { afterEach, describe, expect, it } from '@jest/globals';
import { initializeWithMigrationLock, PROCESS_MANAGER_MIGRATIONS } from 'nestjs-process-manager';
import pg from 'pg';
import { DataSource, type DataSourceOptions, type MigrationInterface, type QueryRunner } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/** An app's own migration, already run: the database has its `migrations` table, not the pm_ tables. */
class CreateAppTables1700000000000 implements MigrationInterface {
  name = 'CreateAppTables1700000000000';
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE app_order (id int PRIMARY KEY)`);
  }
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE app_order`);
  }
}

/** Replicas that boot together: rounds of two at once, each on a database of its own. */
const ROUNDS = 3;

describe('migrations of replicas that boot together (PostgreSQL)', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function optionsFor(db: TestDatabase, extra: Partial<DataSourceOptions> = {}): DataSourceOptions {
    return {
      type: 'postgres',
      driver: pg,
      url: db.url,
      migrations: [CreateAppTables1700000000000, ...PROCESS_MANAGER_MIGRATIONS],
      migrationsRun: true,
      ...extra,
    } as DataSourceOptions;
  }

  async function database(): Promise<TestDatabase> {
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    return db;
  }

  /** Starts both at once; resolves with what each ended with. */
  async function together(...starts: (() => Promise<DataSource>)[]): Promise<string[]> {
    const settled = await Promise.allSettled(starts.map((start) => start()));
    for (const result of settled) {
      if (result.status === 'fulfilled') cleanups.push(() => result.value.destroy());
    }
    return settled.map((result) => (result.status === 'fulfilled' ? 'ok' : String(result.reason)));
  }

  async function migrationsOf(db: TestDatabase): Promise<{ tables: string[]; recorded: string[] }> {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const tables = await client.query<{ name: string }>(
        `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`,
      );
      const recorded = await client.query<{ name: string }>(
        `SELECT DISTINCT name FROM migrations ORDER BY name`,
      );
      return { tables: tables.rows.map((row) => row.name), recorded: recorded.rows.map((row) => row.name) };
    } finally {
      await client.end();
    }
  }

  /** What one DataSource migrating alone makes of a new database: the reference for the races. */
  let expected: { tables: string[]; recorded: string[] } | undefined;
  async function alone(): Promise<{ tables: string[]; recorded: string[] }> {
    if (expected) return expected;
    const db = await database();
    const dataSource = await new DataSource(optionsFor(db)).initialize();
    await dataSource.destroy();
    expected = await migrationsOf(db);
    expect(expected.tables).toContain('pm_process');
    expect(expected.recorded).toContain('CreateProcessManagerTables1763700000000');
    return expected;
  }

  it.each([['all'], ['each']] as const)(
    'migrates once when both find the library migration pending (migrationsTransactionMode %s)',
    async (mode) => {
      for (let round = 0; round < ROUNDS; round++) {
        const db = await database();
        const app = new DataSource({ ...optionsFor(db), migrations: [CreateAppTables1700000000000] });
        await app.initialize();
        await app.destroy();

        const options = optionsFor(db, { migrationsTransactionMode: mode });
        const results = await together(
          () => new DataSource(options).initialize(),
          () => new DataSource(options).initialize(),
        );
        expect(results).toEqual(['ok', 'ok']);
        expect(await migrationsOf(db)).toEqual(await alone());
      }
    },
  );

  it('migrates a brand-new database once with initializeWithMigrationLock', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const db = await database();
      const options = optionsFor(db);
      const results = await together(
        () => initializeWithMigrationLock(options),
        () => initializeWithMigrationLock(options),
      );
      expect(results).toEqual(['ok', 'ok']);
      expect(await migrationsOf(db)).toEqual(await alone());
    }
  });
});
