import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './create-app.js';
import { EmbeddedDatabase } from './database/embedded-database.js';
import { EmbeddedPostgresUnreachableError } from './database/embedded-postgres-access.js';
import { SampleTelemetry } from './telemetry/sample-telemetry.js';

const logger = new Logger('Sample');
const port = Number(process.env.PORT ?? 3000);
const slowDown = process.env.SLOW_DOWN === '1';

// Without DATABASE_URL the sample brings its own PostgreSQL, kept under .data/ between runs.
// embedded-postgres stops that server on SIGINT/SIGTERM and at exit by itself.
const database = process.env.DATABASE_URL ? undefined : await startEmbeddedDatabase();
const databaseUrl = process.env.DATABASE_URL ?? database!.url;

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

async function startEmbeddedDatabase(): Promise<EmbeddedDatabase> {
  try {
    return await EmbeddedDatabase.start();
  } catch (error) {
    if (!(error instanceof EmbeddedPostgresUnreachableError)) throw error;
    logger.error(`${error.name}: ${error.message}`);
    process.exit(1);
  }
}
