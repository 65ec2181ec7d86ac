import {
  type DynamicModule,
  type INestApplicationContext,
  Module,
  type Provider,
  type Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ProcessManagerModule, type ProcessManagerModuleOptions } from 'nestjs-process-manager';
import pg from 'pg';
import { CappedLogger } from './capped-logger.js';

export interface BenchAppOptions {
  providers: Provider[];
  /** Database for TypeORM; no TypeORM at all when absent. */
  url?: string;
  /** pg pool size of the app's DataSource. */
  poolMax?: number;
  /** Entities of the naive baseline; the library registers its own through `autoLoadEntities`. */
  entities?: Type[];
  /** ProcessManagerModule options; the module (and ScheduleModule) left out when absent: plain `@nestjs/cqrs`. */
  processManager?: ProcessManagerModuleOptions;
  /** Further modules, e.g. `RabbitMqTransportModule.forRoot()`. */
  imports?: DynamicModule[];
}

/** A Nest application context built the way a user builds theirs: one CqrsModule, TypeORM, the library. */
export async function createBenchApp(options: BenchAppOptions): Promise<INestApplicationContext> {
  const typeorm = options.url
    ? [
        TypeOrmModule.forRoot({
          type: 'postgres',
          driver: pg,
          url: options.url,
          autoLoadEntities: true,
          entities: options.entities ?? [],
          extra: { max: options.poolMax ?? 10 },
          logging: false,
        }),
      ]
    : [];
  // Library apps run its pollers (timers, outbox relay, recovery) as a production app would.
  const library = options.processManager
    ? [ScheduleModule.forRoot(), ProcessManagerModule.forRoot(options.processManager)]
    : [];

  @Module({
    imports: [CqrsModule.forRoot(), ...typeorm, ...library, ...(options.imports ?? [])],
    providers: options.providers,
  })
  class BenchAppModule {}

  return NestFactory.createApplicationContext(BenchAppModule, { logger: new CappedLogger() });
}
