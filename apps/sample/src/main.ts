import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp, createServiceApp } from './create-app.js';
import { EmbeddedDatabase, type EmbeddedDatabaseOptions } from './database/embedded-database.js';
import { EmbeddedPostgresUnreachableError } from './database/embedded-postgres-access.js';
import {
  assertRabbitMqReachable,
  RabbitMqUnreachableError,
  redactedUrl,
} from './services/rabbitmq-reachability.js';
import {
  SERVICE_DEFAULTS,
  type SampleServiceOptions,
  sampleServiceFromEnv,
  UnknownSampleServiceError,
} from './services/sample-service.js';
import { SampleTelemetry } from './telemetry/sample-telemetry.js';

const logger = new Logger('Sample');

// SAMPLE_SERVICE=billing|reports runs one service of the voiding flow; unset, the whole sample.
const service = serviceFromEnv();
if (service) await startService(service);
else await startSample();

async function startSample(): Promise<void> {
  const port = Number(process.env.PORT ?? 3000);
  const slowDown = process.env.SLOW_DOWN === '1';

  // Without DATABASE_URL the sample brings its own PostgreSQL, kept under .data/ between runs.
  // embedded-postgres stops that server on SIGINT/SIGTERM and at exit by itself.
  const databaseUrl = process.env.DATABASE_URL || (await startEmbeddedDatabase()).url;

  const dashboard = {
    token: process.env.DASHBOARD_TOKEN || undefined,
    readOnly: process.env.DASHBOARD_READ_ONLY === '1',
  };
  // After the library was imported, before the app boots: the library takes its tracer and meter at boot.
  const telemetry = SampleTelemetry.install({ consoleTraces: process.env.OTEL_TRACES_CONSOLE === '1' });
  const app = await createApp({ databaseUrl, slowDown, dashboard, telemetry });
  app.enableShutdownHooks();
  await app.listen(port);

  logger.log(
    `Dashboard: http://localhost:${port}/process-manager/ · demo panel: http://localhost:${port}/demo/`,
  );
  if (dashboard.token) logger.log('DASHBOARD_TOKEN is set: the dashboard asks for it');
  if (dashboard.readOnly) logger.log('DASHBOARD_READ_ONLY=1: the dashboard is read-only');
  logger.log(`API: /orders, /documents, /reports, /group-checkouts, /processes, /health, /metrics`);
  if (process.env.OTEL_TRACES_CONSOLE === '1')
    logger.log('OTEL_TRACES_CONSOLE=1: spans are printed to the console');
  if (slowDown) logger.log('SLOW_DOWN=1: the fake downstream services take seconds to answer');
}

async function startService(options: Omit<SampleServiceOptions, 'databaseUrl'>): Promise<void> {
  const defaults = SERVICE_DEFAULTS[options.service];
  const port = Number(process.env.PORT ?? defaults.port);
  try {
    await assertRabbitMqReachable(options.rabbitMq.url);
  } catch (error) {
    if (!(error instanceof RabbitMqUnreachableError)) throw error;
    // Not fatal: the transport keeps reconnecting, and messages wait in the outbox meanwhile.
    logger.warn(`${error.message}\nStarting anyway: messages wait in the outbox until the broker is up.`);
  }
  const databaseUrl =
    process.env.DATABASE_URL || (await startEmbeddedDatabase(defaults.embeddedDatabase)).url;
  const app = await createServiceApp({ ...options, databaseUrl });
  app.enableShutdownHooks();
  await app.listen(port);

  const { url, exchange, queue } = options.rabbitMq;
  logger.log(
    `${options.service} on http://localhost:${port} · RabbitMQ ${redactedUrl(url)}, ` +
      `exchange ${exchange}, queue ${queue}`,
  );
  logger.log(
    options.service === 'billing'
      ? 'API: POST /documents, GET /documents/:id, POST /documents/:id/void, GET /processes/:id, POST /processes/:id/acknowledge, GET /health'
      : 'API: GET /reports/:customerId, POST /reports/:customerId/publish, GET /health',
  );
}

function serviceFromEnv(): Omit<SampleServiceOptions, 'databaseUrl'> | undefined {
  try {
    return sampleServiceFromEnv(process.env);
  } catch (error) {
    if (!(error instanceof UnknownSampleServiceError)) throw error;
    logger.error(`${error.name}: ${error.message}`);
    process.exit(1);
  }
}

async function startEmbeddedDatabase(options?: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
  try {
    return await EmbeddedDatabase.start(options);
  } catch (error) {
    if (!(error instanceof EmbeddedPostgresUnreachableError)) throw error;
    logger.error(`${error.name}: ${error.message}`);
    process.exit(1);
  }
}
