import type { INestApplicationContext, Provider } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
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
}

/**
 * A Nest application context as a user would build it: CqrsModule, TypeORM (migrations run at boot)
 * and ProcessManagerModule, plus the providers under test.
 */
export async function createTestApp({ providers, url, store = 'typeorm', options = {} }: TestAppOptions) {
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
    imports: [CqrsModule.forRoot(), ...typeorm, ProcessManagerModule.forRoot({ ...options, store })],
    providers,
  })
  class TestAppModule {}
  const app = await Test.createTestingModule({ imports: [TestAppModule] }).compile();
  app.useLogger(['error']);
  await app.init();
  return app;
}

export function dataSourceOf(app: INestApplicationContext): DataSource {
  return app.get(DataSource);
}
