import { DataSource, type DataSourceOptions, type MigrationInterface, type QueryRunner } from 'typeorm';
import { ProcessManagerSchemaError } from '../errors/index.js';

/** The advisory lock every replica takes around the library's migrations (arbitrary, fixed: "pm_mig"). */
const MIGRATION_LOCK_KEY = '123690091735399';
/** Around a whole migration run (another key: that session is not the one running the migrations). */
const RUN_LOCK_KEY = '123690091735400';

/** PostgreSQL's duplicate_table. */
const DUPLICATE_TABLE = '42P07';

export type MigrationClass = new () => MigrationInterface;

/** The table in which TypeORM records executed migrations, quoted as its MigrationExecutor finds it. */
export function migrationsTable(dataSource: DataSource): string {
  const name = dataSource.options.migrationsTableName ?? 'migrations';
  const schema = (dataSource.driver.options as { schema?: string }).schema;
  return dataSource.driver
    .buildTableName(name, schema)
    .split('.')
    .map((part) => dataSource.driver.escape(part))
    .join('.');
}

/** The name TypeORM records a migration under. */
export function migrationName(Migration: MigrationClass): string {
  return new Migration().name ?? Migration.name;
}

/**
 * `Migration` with an `up()` that first takes a PostgreSQL advisory lock and then does nothing if
 * another replica has recorded the migration meanwhile. TypeORM decides which migrations are pending
 * before it runs any, so replicas booting together on one database all start the same migration:
 * without the lock all but one fail (a duplicate `pg_type` key, or "relation already exists") and boot
 * only through `@nestjs/typeorm`'s retry. With `migrationsTransactionMode` 'all' (the default) or
 * 'each' the lock is a transaction lock, held until the migration is committed with its record; with
 * 'none' it is held while `up()` runs. A table the migration creates that exists already, although the
 * migration never ran, is a `ProcessManagerSchemaError` saying so.
 */
export function underMigrationLock(Migration: MigrationClass): MigrationClass {
  const name = migrationName(Migration);
  const Locked = class implements MigrationInterface {
    readonly name = name;
    private readonly migration = new Migration();

    constructor() {
      // TypeORM refuses migrations that set `transaction` under mode 'all'; carry it only when set.
      if (this.migration.transaction !== undefined)
        Object.assign(this, { transaction: this.migration.transaction });
    }

    async up(queryRunner: QueryRunner): Promise<void> {
      const unlock = await lock(queryRunner);
      try {
        if (await isRecorded(queryRunner, name)) return;
        await this.migration.up(queryRunner);
      } catch (error) {
        throw codeOf(error) === DUPLICATE_TABLE ? alreadyExists(name, error) : error;
      } finally {
        await unlock();
      }
    }

    down(queryRunner: QueryRunner): Promise<void> {
      return this.migration.down(queryRunner);
    }
  };
  Object.defineProperty(Locked, 'name', { value: Migration.name });
  return Locked;
}

async function lock(queryRunner: QueryRunner): Promise<() => Promise<void>> {
  if (queryRunner.isTransactionActive) {
    await queryRunner.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
    return async () => undefined;
  }
  await queryRunner.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
  return async () => {
    await queryRunner.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
  };
}

async function isRecorded(queryRunner: QueryRunner, name: string): Promise<boolean> {
  const rows = (await queryRunner.query(
    `SELECT 1 FROM ${migrationsTable(queryRunner.connection)} WHERE name = $1`,
    [name],
  )) as unknown[];
  return rows.length > 0;
}

function codeOf(error: unknown): unknown {
  const { code, driverError } = (error ?? {}) as { code?: unknown; driverError?: { code?: unknown } };
  return code ?? driverError?.code;
}

function alreadyExists(name: string, error: unknown): ProcessManagerSchemaError {
  const message = error instanceof Error ? error.message : String(error);
  return new ProcessManagerSchemaError(
    [`migration ${name} cannot run: ${message}, but this migration is not recorded as run`],
    `The pm_ tables were made some other way, typically by synchronize: true. If they hold nothing you ` +
      `need (with synchronize-made tables every step failed), drop them and let the migrations create them; ` +
      `and keep synchronize off for the pm_ tables.`,
  );
}

/**
 * Creates and initialises a DataSource like `@nestjs/typeorm` does, but runs its migrations (with
 * `migrationsRun: true`) under a PostgreSQL advisory lock — all of them, the app's included, and TypeORM's
 * creation of its `migrations` table on a brand-new database, which no migration can cover. Use it as
 * `TypeOrmModule.forRootAsync({ useFactory, dataSourceFactory: initializeWithMigrationLock })` when
 * replicas may boot together on a new database; `synchronize`, if set, runs after the migrations.
 */
export async function initializeWithMigrationLock(options?: DataSourceOptions): Promise<DataSource> {
  if (!options) throw new TypeError('initializeWithMigrationLock needs the DataSource options.');
  const dataSource = new DataSource({ ...options, migrationsRun: false, synchronize: false });
  await dataSource.initialize();
  try {
    if (options.migrationsRun) {
      const session = dataSource.createQueryRunner();
      try {
        await session.query(`SELECT pg_advisory_lock(${RUN_LOCK_KEY})`);
        await dataSource.runMigrations({ transaction: options.migrationsTransactionMode });
      } finally {
        await session.query(`SELECT pg_advisory_unlock(${RUN_LOCK_KEY})`).catch(() => undefined);
        await session.release();
      }
    }
    if (options.synchronize) await dataSource.synchronize();
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return dataSource;
}
