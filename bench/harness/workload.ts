import type { BenchConfig } from './config.js';
import { analyzeAndCheckpoint, queryOne } from './database.js';
import type { TrafficPattern } from './event-stream.js';
import type { LevelFigures, LevelPlan } from './level.js';
import type { PostgresServer } from './postgres-server.js';
import { type StatementCost, topStatements } from './sql-stats.js';

export interface WorkloadContext {
  config: BenchConfig;
  server: PostgresServer;
  log(message: string): void;
}

/** A level's figures plus how many of the sent events' updates are missing from the database. */
export interface CounterLevel extends LevelFigures {
  lostUpdates: number;
  lostUpdatePercent: number;
  /** Top statements by server time (BENCH_SQL_STATS=1 only). */
  sqlStatements?: StatementCost[];
}

/**
 * The plan of one counter level; 1 in flight runs `sequentialShare` of the processes. The databases
 * the workload writes are analyzed after the warm-up, so every workload is measured with statistics.
 */
export function counterPlan(
  context: WorkloadContext,
  inFlight: number,
  pattern: TrafficPattern,
  databaseUrls: readonly string[],
): LevelPlan {
  const { config } = context;
  const instances =
    pattern === 'bursty'
      ? config.burstyInstances
      : inFlight === 1
        ? Math.max(config.runs * 10, Math.round(config.instances * config.sequentialShare))
        : config.instances;
  return {
    inFlight,
    instances,
    eventsPerInstance: config.eventsPerInstance,
    runs: config.runs,
    pattern,
    postmasterPid: context.server.postmasterPid,
    maxRunMs: config.maxRunSeconds * 1000,
    afterWarmup: async () => {
      for (const url of databaseUrls) await analyzeAndCheckpoint(url);
    },
  };
}

/**
 * Adds what the database says to a level's figures: lost updates (events sent minus the updates
 * found by `appliedSql`, which returns `applied`) and, with BENCH_SQL_STATS=1, the top statements.
 */
export async function settleLevel(
  context: WorkloadContext,
  url: string,
  figures: LevelFigures,
  appliedSql: string,
  values: unknown[] = [],
): Promise<CounterLevel> {
  const { applied } = await queryOne<{ applied: number }>(url, appliedSql, values);
  const lostUpdates = figures.eventsSent - applied;
  return {
    ...figures,
    lostUpdates,
    lostUpdatePercent: (lostUpdates / figures.eventsSent) * 100,
    ...(context.config.sqlStats ? { sqlStatements: await topStatements(url, figures.eventsSent) } : {}),
  };
}
