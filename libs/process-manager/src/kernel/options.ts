import { checkOptions } from './options-check.js';
import {
  DEFAULT_RETENTION,
  type ResolvedRetentionOptions,
  type RetentionOptions,
  resolveRetention,
} from './retention-options.js';

/** Options of `ProcessManagerModule.forRoot()` / `forRootAsync()`. */
export interface ProcessManagerModuleOptions {
  /**
   * Where instances live: PostgreSQL through the app's TypeORM DataSource, or memory (unit tests).
   * @default 'typeorm'
   */
  store?: 'typeorm' | 'memory';
  /**
   * TypeORM connection name.
   * @default the default DataSource
   */
  dataSourceName?: string;
  /**
   * How often one event is re-loaded and re-run after losing an optimistic-concurrency race.
   * @default 10
   */
  conflictRetries?: number;
  /**
   * Longest that `app.close()` waits, per stage (the periodic jobs' round in progress, then the
   * deliveries in flight). What is still running then is logged and left: its claims lapse and another
   * app instance, or this one after a restart, takes the work again.
   * @default 10_000
   */
  shutdownTimeoutMs?: number;
  /** Handler failures: exponential backoff with jitter. */
  retry?: {
    /** Deliveries (and dispatches) tried in all, the first included. @default 5 */
    maxAttempts?: number;
    /** @default 200 */
    initialDelayMs?: number;
    /** @default 60_000 */
    maxDelayMs?: number;
    /** @default 2 */
    factor?: number;
    /**
     * Longest a stateful handler may run. A handler still running then fails its delivery with
     * `HandlerTimeoutError`, which is retried like any failure; its instance takes the next delivery
     * meanwhile (what the late handler does is discarded: handlers decide, they do no I/O).
     * @default 30_000
     */
    handlerTimeoutMs?: number;
    /**
     * Failed deliveries of EventBus events held in memory while their failure cannot be recorded (the
     * database is unreachable), retried with this backoff until it is back. Past the limit each further
     * one is dropped with a logged `PendingLimitReachedError` (the EventBus cannot push back on its
     * publisher). `deliver()` never holds: it rejects, so its sender delivers again.
     * @default 10_000
     */
    pendingLimit?: number;
  };
  /**
   * Group commit: once more than 16 steps are committing at the same time, the steps that queue up
   * behind them (of different instances) are written together in one statement — one round trip, one
   * WAL flush. Below that every step commits on its own at once, so light traffic gets no added
   * latency. TypeORM store only. Measured on our 2-core benchmark (README "Performance"): level up to
   * 16 in flight, ahead when the database saturates. Switch it off to always commit steps one by one.
   */
  batching?: {
    /** @default true */
    enabled?: boolean;
    /** Most steps in one statement. @default 64 */
    maxSize?: number;
  };
  /** Poller for due timers and due handler retries. */
  timers?: {
    /**
     * Run the poller in this app (switch off in apps that only publish events).
     * @default true
     */
    enabled?: boolean;
    /** @default 1_000 */
    pollIntervalMs?: number;
    /** @default 100 */
    batchSize?: number;
  };
  /** Relay re-dispatching outbox rows left undispatched. */
  outbox?: {
    /** @default true */
    enabled?: boolean;
    /** @default 5_000 */
    relayIntervalMs?: number;
    /** @default 100 */
    batchSize?: number;
    /**
     * Longest wait for one message's receiver: a command's handler, or the steps of this app that take
     * an event. A dispatch still running then counts as failed (retried with backoff by the relay), so
     * a hung handler never holds up other messages.
     * @default 30_000
     */
    dispatchTimeoutMs?: number;
  };
  /** Stuck-process detection. */
  recovery?: {
    /** @default true */
    enabled?: boolean;
    /** @default 300_000 (5 min) */
    stuckAfterMs?: number;
    /** @default 60_000 (1 min) */
    intervalMs?: number;
  };
  /** Deleting what the library no longer needs, in small batches (`pm:retention`). */
  retention?: RetentionOptions;
}

/** Options with every default applied. */
export interface ResolvedProcessManagerOptions {
  store: 'typeorm' | 'memory';
  dataSourceName: string | undefined;
  conflictRetries: number;
  shutdownTimeoutMs: number;
  retry: Required<NonNullable<ProcessManagerModuleOptions['retry']>>;
  batching: Required<NonNullable<ProcessManagerModuleOptions['batching']>>;
  timers: Required<NonNullable<ProcessManagerModuleOptions['timers']>>;
  outbox: Required<NonNullable<ProcessManagerModuleOptions['outbox']>>;
  recovery: Required<NonNullable<ProcessManagerModuleOptions['recovery']>>;
  retention: ResolvedRetentionOptions;
}

export const DEFAULT_OPTIONS: ResolvedProcessManagerOptions = {
  store: 'typeorm',
  dataSourceName: undefined,
  conflictRetries: 10,
  shutdownTimeoutMs: 10_000,
  retry: {
    maxAttempts: 5,
    initialDelayMs: 200,
    maxDelayMs: 60_000,
    factor: 2,
    handlerTimeoutMs: 30_000,
    pendingLimit: 10_000,
  },
  batching: { enabled: true, maxSize: 64 },
  timers: { enabled: true, pollIntervalMs: 1_000, batchSize: 100 },
  outbox: { enabled: true, relayIntervalMs: 5_000, batchSize: 100, dispatchTimeoutMs: 30_000 },
  recovery: { enabled: true, stuckAfterMs: 300_000, intervalMs: 60_000 },
  retention: DEFAULT_RETENTION,
};

/** The one place where defaults are merged (the module builder applies none, sync or async). */
export function withDefaults(options: ProcessManagerModuleOptions = {}): ResolvedProcessManagerOptions {
  return checkOptions(merge(options), DEFAULT_OPTIONS);
}

function merge(options: ProcessManagerModuleOptions): ResolvedProcessManagerOptions {
  return {
    store: options.store ?? DEFAULT_OPTIONS.store,
    dataSourceName: options.dataSourceName,
    conflictRetries: options.conflictRetries ?? DEFAULT_OPTIONS.conflictRetries,
    shutdownTimeoutMs: options.shutdownTimeoutMs ?? DEFAULT_OPTIONS.shutdownTimeoutMs,
    retry: { ...DEFAULT_OPTIONS.retry, ...options.retry },
    batching: { ...DEFAULT_OPTIONS.batching, ...options.batching },
    timers: { ...DEFAULT_OPTIONS.timers, ...options.timers },
    outbox: { ...DEFAULT_OPTIONS.outbox, ...options.outbox },
    recovery: { ...DEFAULT_OPTIONS.recovery, ...options.recovery },
    retention: resolveRetention(options.retention),
  };
}
