import type { LogLevel } from '@nestjs/common';
import type { ProcessManagerModuleOptions } from 'nestjs-process-manager';
import type { SampleTelemetry } from './telemetry/sample-telemetry.js';

/** How to run the sample app; `createApp()` and `AppModule.forRoot()` take these. */
export interface SampleOptions {
  /** PostgreSQL connection string; migrations run against it at boot. */
  databaseUrl: string;
  /**
   * Make the fake downstream services answer after seconds instead of a fraction of one, so progress
   * can be watched in the dashboard (`SLOW_DOWN=1`).
   * @default false
   */
  slowDown?: boolean;
  /** Delay range of the fake services' answers; overrides what `slowDown` picks. */
  serviceDelayMs?: { min: number; max: number };
  /**
   * How long the order fulfilment waits for the payment provider.
   * @default '30s' with slowDown, else '10s'
   */
  paymentTimeout?: number | string;
  /** Log levels, or false for none. @default Nest's default levels */
  logger?: false | LogLevel[];
  /** Passed to `ProcessManagerModule.forRoot()`. */
  processManager?: ProcessManagerModuleOptions;
  /** The operations dashboard at `/process-manager`. */
  dashboard?: {
    /** Every dashboard API request needs `Authorization: Bearer <token>` (`DASHBOARD_TOKEN`). @default none */
    token?: string;
    /** Every write answers 403 (`DASHBOARD_READ_ONLY=1`). @default false */
    readOnly?: boolean;
  };
  /** The OpenTelemetry SDK `main.ts` installs; `GET /metrics` serves its metrics. @default none (404) */
  telemetry?: SampleTelemetry;
}

/** `SampleOptions` with every default applied. */
export interface ResolvedSampleOptions {
  databaseUrl: string;
  slowDown: boolean;
  serviceDelayMs: { min: number; max: number };
  paymentTimeout: number | string;
  processManager: ProcessManagerModuleOptions;
  dashboard: { token: string | undefined; readOnly: boolean };
}

export const SAMPLE_OPTIONS = Symbol('SAMPLE_OPTIONS');

export function resolveSampleOptions(options: SampleOptions): ResolvedSampleOptions {
  const slowDown = options.slowDown ?? false;
  return {
    databaseUrl: options.databaseUrl,
    slowDown,
    serviceDelayMs:
      options.serviceDelayMs ?? (slowDown ? { min: 1_500, max: 3_000 } : { min: 150, max: 450 }),
    paymentTimeout: options.paymentTimeout ?? (slowDown ? '30s' : '10s'),
    processManager: { timers: { pollIntervalMs: 250 }, ...options.processManager },
    dashboard: {
      token: options.dashboard?.token || undefined,
      readOnly: options.dashboard?.readOnly ?? false,
    },
  };
}
