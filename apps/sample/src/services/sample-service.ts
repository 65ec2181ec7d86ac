import type { LogLevel } from '@nestjs/common';
import type { ProcessManagerModuleOptions } from 'nestjs-process-manager';

/** The services the sample can run as, one per process (`SAMPLE_SERVICE`). */
export const SAMPLE_SERVICES = ['billing', 'reports'] as const;

export type SampleServiceName = (typeof SAMPLE_SERVICES)[number];

/** How to run one service of the sample; `createServiceApp()` takes these. */
export interface SampleServiceOptions {
  service: SampleServiceName;
  /** This service's own PostgreSQL database; the sample's migrations run against it at boot. */
  databaseUrl: string;
  rabbitMq: {
    /** `RABBITMQ_URL`. @default 'amqp://guest:guest@127.0.0.1:5672' */
    url: string;
    /** The durable topic exchange both services share (`RABBITMQ_EXCHANGE`). @default 'nestjs-process-manager' */
    exchange: string;
    /** This service's durable queue (`RABBITMQ_QUEUE`). @default 'sample.<service>' */
    queue: string;
  };
  /** Log levels, or false for none. @default Nest's default levels */
  logger?: false | LogLevel[];
  /** Passed to `ProcessManagerModule.forRoot()`. */
  processManager?: ProcessManagerModuleOptions;
}

/** `SAMPLE_SERVICE` names no service of the sample. */
export class UnknownSampleServiceError extends Error {
  constructor(readonly value: string) {
    super(
      `SAMPLE_SERVICE=${value} is not a service of the sample: use ${SAMPLE_SERVICES.join(' or ')}, ` +
        `or leave it unset to run the whole sample in one process.`,
    );
    this.name = 'UnknownSampleServiceError';
  }
}

/**
 * Each service's `PORT` when unset, and where it keeps its embedded PostgreSQL when `DATABASE_URL` is
 * unset (a free port is picked when that one is taken).
 */
export const SERVICE_DEFAULTS: Record<
  SampleServiceName,
  { port: number; embeddedDatabase: { dir: string; port: number } }
> = {
  billing: { port: 3001, embeddedDatabase: { dir: '.data/postgres-billing', port: 5434 } },
  reports: { port: 3002, embeddedDatabase: { dir: '.data/postgres-reports', port: 5435 } },
};

/**
 * The service `SAMPLE_SERVICE` names with its broker settings from the environment, or undefined
 * when it is unset (the one-process sample).
 * @throws UnknownSampleServiceError for any other value
 */
export function sampleServiceFromEnv(
  env: NodeJS.ProcessEnv,
): Omit<SampleServiceOptions, 'databaseUrl'> | undefined {
  const value = env.SAMPLE_SERVICE;
  if (value === undefined || value === '') return undefined;
  const service = SAMPLE_SERVICES.find((name) => name === value);
  if (!service) throw new UnknownSampleServiceError(value);
  return {
    service,
    rabbitMq: {
      url: env.RABBITMQ_URL || 'amqp://guest:guest@127.0.0.1:5672',
      exchange: env.RABBITMQ_EXCHANGE || 'nestjs-process-manager',
      queue: env.RABBITMQ_QUEUE || `sample.${service}`,
    },
  };
}
