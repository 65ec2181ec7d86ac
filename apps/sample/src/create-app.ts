import type { DynamicModule, INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import { HttpErrorFilter } from './common/http-error.filter.js';
import { createValidationPipe } from './common/validation.pipe.js';
import type { SampleOptions } from './sample-options.js';
import { BillingServiceModule } from './services/billing-service.module.js';
import { ReportsServiceModule } from './services/reports-service.module.js';
import type { SampleServiceOptions } from './services/sample-service.js';

/**
 * Builds and initialises the sample app (migrations run, processes subscribed) without listening:
 * `main.ts` calls `listen()`, e2e tests use `getHttpServer()`.
 */
export function createApp(options: SampleOptions): Promise<INestApplication> {
  return initialise(AppModule.forRoot(options), options.logger);
}

/** Like `createApp()`, for one service of the sample (Billing or Reports) talking over RabbitMQ. */
export function createServiceApp(options: SampleServiceOptions): Promise<INestApplication> {
  const module =
    options.service === 'billing'
      ? BillingServiceModule.forRoot(options)
      : ReportsServiceModule.forRoot(options);
  return initialise(module, options.logger);
}

async function initialise(
  module: DynamicModule,
  logger: false | LogLevel[] | undefined,
): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(module, { logger, abortOnError: false });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new HttpErrorFilter());
  await app.init();
  return app;
}
