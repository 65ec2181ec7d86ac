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
import { analyze, type BenchDatabase, createDatabase, queryOne, withClient } from '../harness/database.js';
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
  /** Fires beyond the first of a timer (on one instance or on two): must be 0. */
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
 * The warm-up arms its timers through the library; measured runs seed theirs with SQL, far in the
 * future, and make them all due at once when the instances are up.
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
    await armThroughLibrary(context, database, warmup);
    const warm = await drain(context, database, 2, warmup);
    if (warm.fired < warmup) {
      return {
        ...figures,
        available: false,
        note:
          `the timer poller fired ${warm.fired} of ${warmup} due timers (no progress for ${NO_PROGRESS_MS / 1000} s): ` +
          `is ctx.schedule() + TimerPoller (timers.pollIntervalMs/batchSize) in place?`,
      };
    }
    await analyze(database.url);
    const one: TimerDrain[] = [];
    const two: TimerDrain[] = [];
    const perRun = Math.max(100, Math.round(timers / runs));
    for (let run = 1; run <= runs; run++) {
      await seedBySql(database, `run${run}-one`, perRun);
      one.push(await drain(context, database, 1, perRun));
      await seedBySql(database, `run${run}-two`, perRun);
      two.push(await drain(context, database, 2, perRun));
    }
    const summary = (drains: TimerDrain[]) => ({
      timersPerSec: median(drains.map((d) => d.timersPerSec)),
      timersPerSecFromDue: median(drains.map((d) => d.timersPerSecFromDue)),
      cost: medianCost(drains.map((d) => d.cost)),
      runs: drains,
    });
    const fired = [...one, ...two].reduce((sum, drain) => sum + drain.fired, warm.fired);
    return {
      ...figures,
      firedTwice: [warm, ...one, ...two].reduce((sum, drain) => sum + drain.firedTwice, 0),
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

async function drain(
  context: WorkloadContext,
  database: BenchDatabase,
  instances: number,
  timers: number,
): Promise<TimerDrain> {
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
    const fired = () =>
      children.reduce((sum, child) => sum + Number(child.last.get('progress')?.fired ?? 0), 0);
    const before = totals(
      children.map((child) => child.last.get('progress')),
      sampleResources(context.server.postmasterPid),
    );
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
    const done = await Promise.all(
      children.map(async (child) => {
        await child.stop();
        return child.last.get('done') ?? child.last.get('progress');
      }),
    );
    const after = totals(done, sampleResources(context.server.postmasterPid));
    return summarise(instances, timers, dueAt, done, before, after);
  } finally {
    await Promise.all(children.map((child) => child.stop()));
  }
}

function summarise(
  instances: number,
  timers: number,
  dueAt: number,
  reports: (ChildMessage | undefined)[],
  before: ResourceSample,
  after: ResourceSample,
): TimerDrain {
  const active = reports.filter((r): r is ChildMessage => r !== undefined && Number(r.fired) > 0);
  const distinct = new Set<string>();
  // A child that sent no 'done' (killed) gave no keys: count its own distinct fires.
  let withoutKeys = 0;
  for (const report of active) {
    if (Array.isArray(report.keys)) for (const key of report.keys as string[]) distinct.add(key);
    else withoutKeys += Number(report.fired);
  }
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

/** The children's counters summed, with this process's PostgreSQL CPU reading. */
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
