import pg from 'pg';
import { TEST_APPLICATION_NAME } from './ledger-workload.js';

/** Every backend of this database but the test's own: what a failover or a proxy reset does to the app. */
const TERMINATE_APP_BACKENDS = `
SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS terminated FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name <> $1`;

/** A statement marking outbox rows dispatched (`pm_mark_dispatched(…)`, alone or carried by a step), as a SQL regex. */
const MARK_WRITE = `'pm_mark_dispatched\\('`;

/** Only backends in the middle of marking outbox rows dispatched, terminated while the statement runs. */
const TERMINATE_MARK_WRITES = `
SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS terminated FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name <> $1
  AND state = 'active' AND query ~* ${MARK_WRITE}`;

const APP_ACTIVITY = `
SELECT count(*) FILTER (WHERE state = 'active')::int AS active,
       coalesce(bool_or(state = 'active' AND query ~* ${MARK_WRITE}), false) AS marking
FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name <> $1`;

/**
 * Resolves at a moment the app is busy on the database: a mark-dispatched write running, or at least
 * `minActive` statements running at once; after `timeoutMs` regardless. Says which it was.
 */
export async function untilBusy(
  url: string,
  options: { minActive: number; timeoutMs: number },
): Promise<string> {
  const client = new pg.Client({ connectionString: url, application_name: TEST_APPLICATION_NAME });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const deadline = Date.now() + options.timeoutMs;
    let most = 0;
    while (Date.now() < deadline) {
      const { rows } = await client.query<{ active: number; marking: boolean }>(APP_ACTIVITY, [
        TEST_APPLICATION_NAME,
      ]);
      const { active, marking } = rows[0]!;
      if (marking) return `during a mark write (${active} statements running)`;
      if (active >= options.minActive) return `with ${active} statements running`;
      most = Math.max(most, active);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    return `after ${options.timeoutMs} ms (at most ${most} statements running)`;
  } finally {
    void client.end().catch(() => undefined);
  }
}

export interface TerminationStats {
  /** Rounds of "terminate every app backend". */
  broadRounds: number;
  /** Backends those rounds terminated. */
  broadTerminated: number;
  /** Mark-dispatched statements terminated while running. */
  markWritesTerminated: number;
}

/**
 * Terminates the app's connections until `stop()`: every `broadEveryMs` all of them (at most
 * `broadRounds` times), and in between, polling every few ms, any backend caught running the
 * "mark dispatched" UPDATE (at most `markWrites` of them, `markGapMs` apart).
 */
export function startTerminating(
  url: string,
  options: { broadEveryMs: number; broadRounds: number; markWrites: number; markGapMs: number },
): { stop(): Promise<TerminationStats> } {
  const stats: TerminationStats = { broadRounds: 0, broadTerminated: 0, markWritesTerminated: 0 };
  let stopped = false;
  const client = new pg.Client({ connectionString: url, application_name: TEST_APPLICATION_NAME });
  client.on('error', () => undefined);
  const run = (async () => {
    await client.connect();
    let nextBroad = Date.now() + options.broadEveryMs;
    let nextMark = Date.now();
    while (!stopped) {
      const now = Date.now();
      if (stats.broadRounds < options.broadRounds && now >= nextBroad) {
        const { rows } = await client.query<{ terminated: number }>(TERMINATE_APP_BACKENDS, [
          TEST_APPLICATION_NAME,
        ]);
        stats.broadRounds++;
        stats.broadTerminated += rows[0]!.terminated;
        nextBroad = now + options.broadEveryMs;
      } else if (stats.markWritesTerminated < options.markWrites && now >= nextMark) {
        const { rows } = await client.query<{ terminated: number }>(TERMINATE_MARK_WRITES, [
          TEST_APPLICATION_NAME,
        ]);
        if (rows[0]!.terminated > 0) {
          stats.markWritesTerminated += rows[0]!.terminated;
          nextMark = now + options.markGapMs;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  run.catch(() => undefined); // reported by stop()
  return {
    async stop() {
      stopped = true;
      try {
        await run;
      } finally {
        await client.end().catch(() => undefined);
      }
      return stats;
    },
  };
}
