import { withClient } from './database.js';

/** One statement's share of a level, from pg_stat_statements (BENCH_SQL_STATS=1). */
export interface StatementCost {
  query: string;
  callsPerEvent: number;
  /** Server execution time per event (planning excluded), µs. */
  execUsPerEvent: number;
  /** Planning time per event, µs (a custom plan per execution shows up here). */
  planUsPerEvent: number;
  meanExecUs: number;
}

/** The statements of one database that took the most server time, normalised per event sent. */
export async function topStatements(url: string, events: number, limit = 6): Promise<StatementCost[]> {
  const { rows } = await withClient(url, (client) =>
    client.query<{ query: string; calls: string; total: number; plan: number; mean: number }>(
      `SELECT query, calls, total_exec_time AS total, total_plan_time AS plan, mean_exec_time AS mean
       FROM pg_stat_statements
       WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND calls >= 10
       ORDER BY total_exec_time DESC LIMIT $1`,
      [limit],
    ),
  );
  return rows.map((row) => ({
    query: row.query.replace(/\s+/g, ' ').trim().slice(0, 100),
    callsPerEvent: Number(row.calls) / events,
    execUsPerEvent: (row.total * 1000) / events,
    planUsPerEvent: (row.plan * 1000) / events,
    meanExecUs: row.mean * 1000,
  }));
}
