import { performance } from 'node:perf_hooks';
import { EventBus } from '@nestjs/cqrs';
import {
  ArmTimer,
  FireTally,
  TIMER_PROCESS,
  TimerFiredHandler,
  TimerProcess,
} from '../fixtures/timer.process.js';
import { Child, type ChildMessage } from '../harness/child.js';
import {
  analyzeAndCheckpoint,
  type BenchDatabase,
  createDatabase,
  queryOne,
  withClient,
} from '../harness/database.js';
import { createBenchApp } from '../harness/nest-app.js';
import { median } from '../harness/stats.js';
import { costPerEvent, type EventCost, type ResourceSample, sampleResources } from '../harness/resources.js';
import { type StatementCost, topStatements } from '../harness/sql-stats.js';
import { pollUntil } from '../harness/wait.js';
import type { WorkloadContext } from '../harness/workload.js';

export interface TimerDrain {
  instances: number;
  timers: number;
  /** Distinct timers fired, over all instances. */
  fired: number;
  /** Fires beyond the first of a timer (on one instance or on two, in this drain or an earlier one): must be 0. */
  firedTwice: number;
  /** From the first timer fired to the last, over all instances. */
  timersPerSec: number;
  /** From the moment they all fell due to the last one fired (includes up to one poll interval). */
  timersPerSecFromDue: number;
  /** Per fired timer, over all instances: Node CPU, PostgreSQL CPU, round trips, transactions. */
  cost: EventCost;
}

export interface TimersFigures {
  available: boolean;
  note?: string;
  pollIntervalMs: number;
  batchSize: number;
  timers: number;
  oneInstance: TimersSummary | null;
  twoInstances: TimersSummary | null;
  /** Fires beyond a timer's first (a timer that fired twice counts 1), every drain, warm-up included. */
  firedTwice: number;
  /** Top statements by server time per fired timer, all drains (BENCH_SQL_STATS=1 only). */
  sqlStatements?: StatementCost[];
}

export interface TimersSummary {
  timersPerSec: number;
  timersPerSecFromDue: number;
  cost: EventCost;
  runs: TimerDrain[];
}

const NO_PROGRESS_MS = 15_000;

/**
 * Due timers drained by one app instance, then by two (each its own Node process, on one database);
 * `timers` is the total per instance count, split over the runs.
 * Each configuration's instances are started once and stay up for all its drains, as a real app
 * instance is long-lived: a warm-up drain of their own (excluded from the figures, checked for timers
 * fired twice) lets V8 optimise the hot path, then the measured runs follow on the same, warm
 * processes. The one-instance instance is stopped before the two-instance ones start, so no instance
 * ever polls while the other configuration is measured; the figure of each is the median of its runs.
 * The first warm-up arms its timers through the library; all other drains seed theirs with SQL, far in
 * the future, and make them all due at once.
 */
export async function runTimers(context: WorkloadContext): Promise<TimersFigures> {
  const { timers, timerPollIntervalMs: pollIntervalMs, timerBatchSize: batchSize, runs } = context.config;
  const figures: TimersFigures = {
    available: true,
    pollIntervalMs,
    batchSize,
    timers,
    oneInstance: null,
    twoInstances: null,
    firedTwice: 0,
  };
  const database = await createDatabase(context.server.url, 'timers', context.config);
  try {
    const warmup = Math.max(200, Math.round(timers / 20));
    const perRun = Math.max(100, Math.round(timers / runs));
    // Every key fired so far, so a timer that fires again in a later drain counts as fired twice.
    const earlier = new Set<string>();
    const one: TimerDrain[] = [];
    const two: TimerDrain[] = [];
    await armThroughLibrary(context, database, warmup);
    const warmOne = await withDrainers(context, database, 1, earlier, async (drain) => {
      const warm = await drain(warmup);
      if (warm.fired < warmup) return warm;
      await analyzeAndCheckpoint(database.url);
      for (let run = 1; run <= runs; run++) {
        await seedBySql(database, `run${run}-one`, perRun);
        one.push(await drain(perRun));
      }
      return warm;
    });
    if (warmOne.fired < warmup) {
      return {
        ...figures,
        available: false,
        note:
          `the timer poller fired ${warmOne.fired} of ${warmup} due timers (no progress for ${NO_PROGRESS_MS / 1000} s): ` +
          `is ctx.schedule() + TimerPoller (timers.pollIntervalMs/batchSize) in place?`,
      };
    }
    const warmTwo = await withDrainers(context, database, 2, earlier, async (drain) => {
      await seedBySql(database, 'warmup-two', warmup);
      const warm = await drain(warmup);
      for (let run = 1; run <= runs; run++) {
        await seedBySql(database, `run${run}-two`, perRun);
        two.push(await drain(perRun));
      }
      return warm;
    });
    const summary = (drains: TimerDrain[]) => ({
      timersPerSec: median(drains.map((d) => d.timersPerSec)),
      timersPerSecFromDue: median(drains.map((d) => d.timersPerSecFromDue)),
      cost: medianCost(drains.map((d) => d.cost)),
      runs: drains,
    });
    const all = [warmOne, warmTwo, ...one, ...two];
    const fired = all.reduce((sum, drain) => sum + drain.fired, 0);
    return {
      ...figures,
      firedTwice: all.reduce((sum, drain) => sum + drain.firedTwice, 0),
      oneInstance: summary(one),
      twoInstances: summary(two),
      ...(context.config.sqlStats ? { sqlStatements: await topStatements(database.url, fired) } : {}),
    };
  } finally {
    await database.drop();
  }
}

async function armThroughLibrary(
  context: WorkloadContext,
  database: BenchDatabase,
  count: number,
): Promise<void> {
  const app = await createBenchApp({
    url: database.url,
    poolMax: 16,
    providers: [FireTally, TimerFiredHandler, TimerProcess],
    processManager: { ...context.config.processManagerOptions, timers: { enabled: false } },
  });
  try {
    const eventBus = app.get(EventBus);
    for (let i = 0; i < count; i++) eventBus.publish(new ArmTimer(`warmup-${i}`));
    const armed = await pollUntil(async () => (await pendingTimers(database)) >= count, 60_000);
    if (!armed)
      throw new Error(`ArmTimer: ${await pendingTimers(database)} of ${count} timers armed after 60 s`);
  } finally {
    await app.close();
  }
}

/** Instances in state 'running' with one named timer each, due in a day: the rows ctx.schedule() writes. */
async function seedBySql(database: BenchDatabase, prefix: string, count: number): Promise<void> {
  await withClient(database.url, (client) =>
    client.query(
      `WITH p AS (
         INSERT INTO pm_process (id, type, correlation_key, status, state, version, started_at, updated_at)
         SELECT gen_random_uuid(), $1, $2 || '-' || g, 'running', '{}', 1, now(), now()
         FROM generate_series(1, $3::int) AS g
         RETURNING id, type, correlation_key
       )
       INSERT INTO pm_timer (id, process_id, process_type, name, due_at, message_type, payload, created_at)
       SELECT gen_random_uuid(), p.id, p.type, 'due', now() + interval '1 day', 'TimerDue',
         jsonb_build_object('key', p.correlation_key), now()
       FROM p`,
      [TIMER_PROCESS, prefix, count],
    ),
  );
}

async function pendingTimers(database: BenchDatabase): Promise<number> {
  const row = await queryOne<{ pending: number }>(
    database.url,
    `SELECT count(*)::int AS pending FROM pm_timer`,
  );
  return row.pending;
}

/**
 * Starts `instances` drainers (timers-drainer.ts) on the database, hands `use` a function that runs one
 * drain of `timers` due timers on them, and stops them when `use` is done.
 */
async function withDrainers<T>(
  context: WorkloadContext,
  database: BenchDatabase,
  instances: number,
  earlier: Set<string>,
  use: (drain: (timers: number) => Promise<TimerDrain>) => Promise<T>,
): Promise<T> {
  const { timerPollIntervalMs, timerBatchSize } = context.config;
  const children = Array.from(
    { length: instances },
    () =>
      new Child(new URL('./timers-drainer.js', import.meta.url), {
        BENCH_DATABASE_URL: database.url,
        BENCH_TIMER_POLL_MS: String(timerPollIntervalMs),
        BENCH_TIMER_BATCH: String(timerBatchSize),
        BENCH_PM_OPTIONS: JSON.stringify(context.config.processManagerOptions),
      }),
  );
  try {
    await Promise.all(children.map((child) => child.next('ready', 60_000)));
    await Promise.all(children.map((child) => child.next('progress', 10_000)));
    return await use((timers) => drain(context, database, children, timers, earlier));
  } finally {
    await Promise.all(children.map((child) => child.stop()));
  }
}

/** One drain on running drainers: their tallies reset, all pending timers made due, until all fired. */
async function drain(
  context: WorkloadContext,
  database: BenchDatabase,
  children: Child[],
  timers: number,
  earlier: Set<string>,
): Promise<TimerDrain> {
  // The answers to 'reset' come after every progress sent before it (one ordered channel per child).
  const resets = await Promise.all(children.map((child) => child.request('reset', 10_000)));
  for (const child of children) child.last.delete('progress');
  const fired = () =>
    children.reduce((sum, child) => sum + Number(child.last.get('progress')?.fired ?? 0), 0);
  const before = totals(resets, sampleResources(context.server.postmasterPid));
  await withClient(database.url, (client) =>
    client.query(`UPDATE pm_timer SET due_at = now() - interval '1 second' WHERE due_at > now()`),
  );
  const dueAt = performance.timeOrigin + performance.now();
  let seen = -1;
  let progressAt = Date.now();
  await pollUntil(() => {
    const now = fired();
    if (now !== seen) [seen, progressAt] = [now, Date.now()];
    return now >= timers || Date.now() - progressAt > NO_PROGRESS_MS;
  }, 30 * 60_000);
  // A child that died sends no report: its last progress (no keys) stands in.
  const reports = await Promise.all(
    children.map((child) => child.request('report', 10_000).catch(() => child.last.get('progress'))),
  );
  const after = totals(reports, sampleResources(context.server.postmasterPid));
  return summarise(children.length, timers, dueAt, reports, before, after, earlier);
}

function summarise(
  instances: number,
  timers: number,
  dueAt: number,
  reports: (ChildMessage | undefined)[],
  before: ResourceSample,
  after: ResourceSample,
  earlier: Set<string>,
): TimerDrain {
  const active = reports.filter((r): r is ChildMessage => r !== undefined && Number(r.fired) > 0);
  const distinct = new Set<string>();
  // A child that sent no report (died) gave no keys: count its own distinct fires.
  let withoutKeys = 0;
  for (const report of active) {
    if (Array.isArray(report.keys)) {
      // A key fired in an earlier drain is a second fire, not a timer fired by this one.
      for (const key of report.keys as string[]) if (!earlier.has(key)) distinct.add(key);
    } else withoutKeys += Number(report.fired);
  }
  for (const key of distinct) earlier.add(key);
  const fired = distinct.size + withoutKeys;
  const fires = active.reduce((sum, r) => sum + Number(r.fires), 0);
  const first = Math.min(...active.map((r) => Number(r.first)));
  const last = Math.max(...active.map((r) => Number(r.last)));
  return {
    instances,
    timers,
    fired,
    firedTwice: fires - fired,
    timersPerSec: fired > 1 ? ((fired - 1) / (last - first)) * 1000 : 0,
    timersPerSecFromDue: fired > 0 ? (fired / (last - dueAt)) * 1000 : 0,
    cost: costPerEvent(before, after, fired),
  };
}

/** The children's cumulative counters summed, with this process's PostgreSQL CPU reading. */
function totals(reports: (ChildMessage | undefined)[], here: ResourceSample): ResourceSample {
  const sum = (field: string) => reports.reduce((total, report) => total + Number(report?.[field] ?? 0), 0);
  return {
    nodeCpuUs: sum('nodeCpuUs'),
    postgresCpuUs: here.postgresCpuUs,
    roundTrips: sum('roundTrips'),
    transactions: sum('transactions'),
  };
}

function medianCost(costs: EventCost[]): EventCost {
  const of = (pick: (cost: EventCost) => number | null) => median(costs.map(pick).filter((v) => v !== null));
  return {
    nodeCpuUsPerEvent: of((c) => c.nodeCpuUsPerEvent),
    postgresCpuUsPerEvent: costs.some((c) => c.postgresCpuUsPerEvent === null)
      ? null
      : of((c) => c.postgresCpuUsPerEvent),
    roundTripsPerEvent: of((c) => c.roundTripsPerEvent),
    transactionsPerEvent: of((c) => c.transactionsPerEvent),
  };
}
