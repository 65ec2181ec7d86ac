import { afterEach, describe, expect, it } from '@jest/globals';
import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { Test, type TestingModule } from '@nestjs/testing';
import { TypeOrmModule, type TypeOrmModuleOptions } from '@nestjs/typeorm';
import {
  PROCESS_MANAGER_MIGRATIONS,
  ProcessManagerModule,
  ProcessManagerSchemaError,
  ProcessManagerService,
} from 'nestjs-process-manager';
import pg from 'pg';
import { createTestDatabase, migrateTestDatabase, type TestDatabase } from '../support/database.js';

/** Every library migration, as the migrations table records them. */
const MIGRATIONS = PROCESS_MANAGER_MIGRATIONS.map((Migration) => new Migration().name!).join(', ');
const FIRST_MIGRATION = 'CreateProcessManagerTables1763700000000';

describe('schema check at boot (TypeORM store)', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function database(): Promise<TestDatabase> {
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    return db;
  }

  /** Boots an app with these TypeORM options; resolves with the app or rejects with the boot error. */
  async function boot(url: string, typeorm: Partial<TypeOrmModuleOptions>): Promise<TestingModule> {
    @Module({
      imports: [
        CqrsModule.forRoot(),
        TypeOrmModule.forRoot({
          type: 'postgres',
          driver: pg,
          url,
          autoLoadEntities: true,
          retryAttempts: 1, // a failing migration fails boot at once instead of 10 tries 3 s apart
          ...typeorm,
        } as TypeOrmModuleOptions),
        ProcessManagerModule.forRoot({
          timers: { enabled: false },
          outbox: { enabled: false },
          recovery: { enabled: false },
          retention: { enabled: false },
        }),
      ],
    })
    class AppModule {}
    const app = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app.useLogger(false);
    try {
      await app.init();
    } catch (error) {
      await app.close().catch(() => undefined);
      throw error;
    }
    cleanups.push(() => app.close());
    return app;
  }

  async function sql(url: string, text: string): Promise<void> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  }

  it('fails boot without the migrations, naming the missing tables, the migration and the fix', async () => {
    const db = await database();
    const booting = boot(db.url, {});

    await expect(booting).rejects.toBeInstanceOf(ProcessManagerSchemaError);
    await expect(booting).rejects.toMatchObject({
      problems: [
        'missing tables pm_process, pm_history, pm_association, pm_inbox, pm_outbox, pm_timer, pm_dead_letter',
        `migrations not recorded in "migrations": ${MIGRATIONS}`,
      ],
      message: expect.stringContaining(
        "Add PROCESS_MANAGER_MIGRATIONS to the DataSource's migrations and run them before the app starts",
      ),
    });
  });

  it('fails boot with synchronize: true instead of migrations, and synchronize leaves the pm_ tables alone', async () => {
    const db = await database();
    await expect(boot(db.url, { synchronize: true })).rejects.toMatchObject({
      name: 'ProcessManagerSchemaError',
      message: expect.stringMatching(
        /missing tables pm_process.*don't create the pm_ tables with synchronize/,
      ),
    });
  });

  it('fails boot on pm_ tables that its migration did not make (synchronize-made), saying so', async () => {
    const db = await database();
    await migrateTestDatabase(db.url);
    // What a synchronize-made schema lacks: the partial unique index, and the migration's record.
    await sql(db.url, `DROP INDEX pm_process_active_key_uq; DELETE FROM migrations`);

    await expect(boot(db.url, {})).rejects.toMatchObject({
      problems: [
        'pm_process has no partial unique index pm_process_active_key_uq (one active instance per key)',
        `migrations not recorded in "migrations": ${MIGRATIONS}`,
      ],
      message: expect.stringContaining('typically made by synchronize: true'),
    });
  });

  it('turns "relation already exists" while migrating over such tables into the named error', async () => {
    const db = await database();
    await migrateTestDatabase(db.url);
    await sql(db.url, `DELETE FROM migrations`);

    await expect(
      boot(db.url, { migrations: PROCESS_MANAGER_MIGRATIONS, migrationsRun: true }),
    ).rejects.toMatchObject({
      name: 'ProcessManagerSchemaError',
      message: expect.stringMatching(
        new RegExp(
          `migration ${FIRST_MIGRATION} cannot run: relation "pm_process" already exists.*synchronize: true`,
        ),
      ),
    });
  });

  it('boots once the migrations ran, in the migrations table the DataSource names', async () => {
    const db = await database();
    await migrateTestDatabase(db.url, { migrationsTableName: 'schema_history' });
    await expect(boot(db.url, {})).rejects.toMatchObject({
      problems: [`migrations not recorded in "migrations": ${MIGRATIONS}`],
    });

    const app = await boot(db.url, { migrationsTableName: 'schema_history' });
    expect(await app.get(ProcessManagerService).list()).toEqual({ items: [] });
  });

  it('boots with migrationsRun: true on a fresh database', async () => {
    const db = await database();
    const app = await boot(db.url, { migrations: PROCESS_MANAGER_MIGRATIONS, migrationsRun: true });
    expect(await app.get(ProcessManagerService).list()).toEqual({ items: [] });
  });
});
