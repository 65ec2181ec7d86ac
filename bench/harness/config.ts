import type { ProcessManagerModuleOptions } from 'nestjs-process-manager';

/** Benchmark sizes and knobs, read once from the environment (see bench/README.md). */
export interface BenchConfig {
  /** Multiplies every size below; 0.1 gives a quick run. */
  scale: number;
  /** Measured runs per figure; each figure is their median. */
  runs: number;
  /** Concurrency levels for the stateful, naive and raw workloads. */
  inFlight: number[];
  /** Process instances and events per instance, summed over the measured runs of one level. */
  instances: number;
  eventsPerInstance: number;
  /** Share of `instances` used at 1 in flight (sequential runs are slow and settle quickly). */
  sequentialShare: number;
  /** Instances in the bursty (all events of a process at once) lost-update check. */
  burstyInstances: number;
  timers: number;
  timerPollIntervalMs: number;
  timerBatchSize: number;
  inMemoryEvents: number;
  rssCheckpoints: [number, number];
  /** Workload names to run (BENCH_ONLY=stateful,raw), all when empty. */
  only: string[];
  /** Per-event deadline before an event is counted as failed. */
  eventTimeoutMs: number;
  /** A measured run of a level stops sending new events after this many seconds. */
  maxRunSeconds: number;
  /** Extra `ProcessManagerModule.forRoot()` options for every library app (BENCH_PM_OPTIONS, JSON). */
  processManagerOptions: ProcessManagerModuleOptions;
  /** Diagnostics: load pg_stat_statements and report the top statements per level (costs a little). */
  sqlStats: boolean;
  /** Broker of the RabbitMQ round trip (RABBITMQ_URL); the workload is skipped when it is unreachable. */
  rabbitmqUrl: string;
  /** Concurrency levels of the RabbitMQ round trip and its raw amqplib ceiling. */
  rabbitmqInFlight: number[];
}

function numberFrom(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

function jsonFrom(name: string): ProcessManagerModuleOptions {
  const raw = process.env[name];
  if (!raw) return {};
  try {
    return JSON.parse(raw) as ProcessManagerModuleOptions;
  } catch (error) {
    throw new Error(
      `${name} must be JSON, e.g. '{"batching":{"enabled":true}}': ${(error as Error).message}`,
    );
  }
}

function listFrom(name: string): string[] {
  return (process.env[name] ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

export function readConfig(): BenchConfig {
  const scale = numberFrom('BENCH_SCALE', 1);
  const sized = (name: string, full: number, minimum: number) =>
    Math.max(minimum, Math.round(numberFrom(name, full) * scale));
  const levels = listFrom('BENCH_IN_FLIGHT').map(Number);
  const rabbitmqLevels = listFrom('BENCH_RABBITMQ_IN_FLIGHT').map(Number);
  return {
    scale,
    runs: Math.round(numberFrom('BENCH_RUNS', 3)),
    inFlight: levels.length > 0 ? levels : [1, 16, 64],
    instances: sized('BENCH_INSTANCES', 10_000, 300),
    eventsPerInstance: Math.round(numberFrom('BENCH_EVENTS_PER_INSTANCE', 10)),
    sequentialShare: numberFrom('BENCH_SEQUENTIAL_SHARE', 0.1),
    burstyInstances: sized('BENCH_BURSTY_INSTANCES', 1_000, 100),
    timers: sized('BENCH_TIMERS', 10_000, 500),
    timerPollIntervalMs: numberFrom('BENCH_TIMER_POLL_MS', 100),
    timerBatchSize: Math.round(numberFrom('BENCH_TIMER_BATCH', 100)),
    inMemoryEvents: sized('BENCH_IN_MEMORY_EVENTS', 100_000, 5_000),
    rssCheckpoints: [sized('BENCH_RSS_FIRST', 10_000, 1_000), sized('BENCH_RSS_SECOND', 100_000, 10_000)],
    only: listFrom('BENCH_ONLY'),
    eventTimeoutMs: numberFrom('BENCH_EVENT_TIMEOUT_MS', 30_000),
    maxRunSeconds: numberFrom('BENCH_MAX_RUN_SECONDS', 12),
    sqlStats: process.env.BENCH_SQL_STATS === '1',
    processManagerOptions: jsonFrom('BENCH_PM_OPTIONS'),
    rabbitmqUrl: process.env.RABBITMQ_URL || 'amqp://guest:guest@127.0.0.1:5672',
    rabbitmqInFlight: rabbitmqLevels.length > 0 ? rabbitmqLevels : [1, 16],
  };
}
