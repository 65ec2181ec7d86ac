import type { DynamicModule, Type } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ProcessManagerModule } from 'nestjs-process-manager';
import { RabbitMqTransportModule } from 'nestjs-process-manager/rabbitmq';
import { typeOrmOptions } from '../database/typeorm-options.js';
import { HealthModule } from '../health/health.module.js';
import type { SampleServiceOptions } from './sample-service.js';

/** The messages one service sends to and takes from the other over the broker. */
export interface ServiceMessages {
  publish: Type[];
  subscribe: Type[];
}

/**
 * What every service of the sample runs on: the global `forRoot()`s, its own database (with the same
 * migrations as the one-process sample), the RabbitMQ transport and `GET /health`.
 */
export function serviceInfrastructure(
  options: SampleServiceOptions,
  messages: ServiceMessages,
): (DynamicModule | Type)[] {
  return [
    CqrsModule.forRoot(),
    ScheduleModule.forRoot(),
    TypeOrmModule.forRoot(typeOrmOptions(options.databaseUrl)),
    ProcessManagerModule.forRoot({ timers: { pollIntervalMs: 250 }, ...options.processManager }),
    RabbitMqTransportModule.forRoot({ ...options.rabbitMq, ...messages }),
    HealthModule,
  ];
}
