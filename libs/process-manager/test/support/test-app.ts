import type { INestApplicationContext, Provider } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { Test } from '@nestjs/testing';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  Clock,
  PROCESS_MANAGER_MIGRATIONS,
  ProcessManagerModule,
  type ProcessManagerModuleOptions,
} from 'nestjs-process-manager';
import pg from 'pg';
import { DataSource } from 'typeorm';

export type StoreKind = 'typeorm' | 'memory';

export interface TestAppOptions {
  providers: Provider[];
  /** Database URL for the TypeORM store. */
  url?: string;
  store?: StoreKind;
  options?: ProcessManagerModuleOptions;
  /** Replaces the library's clock (e.g. a VirtualClock). */
  clock?: Clock;
  /** Imports ScheduleModule.forRoot() so the periodic jobs register and run on their own. */
  schedule?: boolean;
}

/**
 * A Nest application context as a user would build it: CqrsModule, TypeORM (migrations run at boot)
 * and ProcessManagerModule, plus the providers under test.
 */
export async function createTestApp({
  providers,
  url,
  store = 'typeorm',
  options = {},
  clock,
  schedule = false,
}: TestAppOptions) {
  const typeorm =
    store === 'typeorm'
      ? [
          TypeOrmModule.forRoot({
            type: 'postgres',
            driver: pg, // Jest's ESM mode cannot resolve TypeORM's lazy require('pg')
            url,
            autoLoadEntities: true,
            migrations: PROCESS_MANAGER_MIGRATIONS,
            migrationsRun: true,
            extra: { max: 20 },
          }),
        ]
      : [];
  @Module({
    imports: [
      CqrsModule.forRoot(),
      ...(schedule ? [ScheduleModule.forRoot()] : []),
      ...typeorm,
      ProcessManagerModule.forRoot({ ...(schedule ? options : withJobsOff(options)), store }),
    ],
    providers,
  })
  class TestAppModule {}
  const builder = Test.createTestingModule({ imports: [TestAppModule] });
  if (clock) builder.overrideProvider(Clock).useValue(clock);
  const app = await builder.compile();
  app.useLogger(process.env.PM_TEST_LOG ? ['error', 'warn', 'log', 'debug'] : ['error']);
  try {
    await app.init();
  } catch (error) {
    await app.close().catch(() => undefined); // a half-booted app must not keep connections open
    throw error;
  }
  return app;
}

/**
 * Without ScheduleModule (tests that drive the jobs with `tickOnce()`) the jobs are switched off, as
 * an app must: an enabled job without ScheduleModule fails boot.
 */
function withJobsOff(options: ProcessManagerModuleOptions): ProcessManagerModuleOptions {
  return {
    ...options,
    timers: { ...options.timers, enabled: false },
    outbox: { ...options.outbox, enabled: false },
    recovery: { ...options.recovery, enabled: false },
    retention: { ...options.retention, enabled: false },
  };
}

export function dataSourceOf(app: INestApplicationContext): DataSource {
  return app.get(DataSource);
}
