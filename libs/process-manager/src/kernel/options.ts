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
}

/** Options with every default applied. */
export interface ResolvedProcessManagerOptions {
  store: 'typeorm' | 'memory';
  dataSourceName: string | undefined;
  conflictRetries: number;
  retry: Required<NonNullable<ProcessManagerModuleOptions['retry']>>;
  batching: Required<NonNullable<ProcessManagerModuleOptions['batching']>>;
  timers: Required<NonNullable<ProcessManagerModuleOptions['timers']>>;
  outbox: Required<NonNullable<ProcessManagerModuleOptions['outbox']>>;
  recovery: Required<NonNullable<ProcessManagerModuleOptions['recovery']>>;
}

export const DEFAULT_OPTIONS: ResolvedProcessManagerOptions = {
  store: 'typeorm',
  dataSourceName: undefined,
  conflictRetries: 10,
  retry: { maxAttempts: 5, initialDelayMs: 200, maxDelayMs: 60_000, factor: 2 },
  batching: { enabled: true, maxSize: 64 },
  timers: { enabled: true, pollIntervalMs: 1_000, batchSize: 100 },
  outbox: { enabled: true, relayIntervalMs: 5_000, batchSize: 100 },
  recovery: { enabled: true, stuckAfterMs: 300_000, intervalMs: 60_000 },
};

/** The one place where defaults are merged (the module builder applies none, sync or async). */
export function withDefaults(options: ProcessManagerModuleOptions = {}): ResolvedProcessManagerOptions {
  return {
    store: options.store ?? DEFAULT_OPTIONS.store,
    dataSourceName: options.dataSourceName,
    conflictRetries: options.conflictRetries ?? DEFAULT_OPTIONS.conflictRetries,
    retry: { ...DEFAULT_OPTIONS.retry, ...options.retry },
    batching: { ...DEFAULT_OPTIONS.batching, ...options.batching },
    timers: { ...DEFAULT_OPTIONS.timers, ...options.timers },
    outbox: { ...DEFAULT_OPTIONS.outbox, ...options.outbox },
    recovery: { ...DEFAULT_OPTIONS.recovery, ...options.recovery },
  };
}
