// Issue 14: one app instance (a real child process) under load on a PostgreSQL server of the test's
// own, which the test stops (fast shutdown: sessions terminated, 57P01) and starts again, twice. The
// app must stay up, reconnect, lose nothing, apply nothing twice, drain its outbox, and log the outage
// clearly — not a stack trace per event.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { type ChildApp, useChildApps } from './support/children.js';
import {
  createLedgerTables,
  feed,
  NO_VIOLATIONS,
  planWorkload,
  printFigures,
  runSeed,
  totalDuplicates,
  violations,
  waitUntilSettled,
} from './support/ledger-workload.js';
import { OwnPostgres } from './support/own-postgres.js';
import { untilBusy } from './support/terminator.js';

const ACCOUNTS = 100;
const EVENTS_PER_ACCOUNT = 30; // 3,000 events
const FEED_MS = 3_000; // faster than one app takes them: it has a backlog when the server stops
/** When each outage begins: after the feed started, then after the previous recovery. */
const OUTAGE_AFTER_MS = [1_500, 1_500];
/** How long the server stays down. */
const DOWN_MS = 2_000;
/** What "busy" means for the moment of the stop: see `untilBusy`. */
const BUSY = { minActive: 4, timeoutMs: 3_000 };
/** After the load; leases of interrupted work lapse after 30 s (fast path) and 60 s (claims). */
const SETTLE_MS = 70_000;

/**
 * Log bounds, over both outages (each ~2.2 s from stop to ready). Lines of the test's own child code
 * ("[durability-child …]") are not counted.
 * - A line naming the database error per failing poll (timers every 100 ms, relay every 500 ms:
 *   ~2 × 26) and per delivery or dispatch in flight at each stop (a few dozen to a couple of hundred
 *   under this load, each worth naming with its messageId) is clear. One per event (3,000), or the
 *   retries with a stale error that 0.1 keeps logging (thousands), is not: at most a fifth of the
 *   events.
 * - Stack frames: a handful of full traces (say one per job per outage, ~10 frames each) is fine;
 *   one per delivery is not. 100 frame lines.
 * - Once the server is back, retries succeed: from 5 s after the second restart on, at most a few
 *   lines may still name the outage.
 */
const MAX_OUTAGE_LINES = (ACCOUNTS * EVENTS_PER_ACCOUNT) / 5;
const MAX_STACK_FRAME_LINES = 100;
const QUIET_AFTER_MS = 5_000;
const MAX_OUTAGE_LINES_AFTER_RECOVERY = 5;
const OUTAGE_ERROR =
  /terminating connection|ECONNREFUSED|Connection terminated|connection refused|database system is (shutting down|starting up|not yet accepting)|57P01|57P03/i;
const STACK_FRAME = /^\s+at /;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs work one at a time: a chunk of the feed, or an outage (never both). */
class Exclusive {
  private tail: Promise<void> = Promise.resolve();
  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

function libraryLines(log: string): string[] {
  return log.split('\n').filter((line) => line.trim() !== '' && !line.includes('[durability-child'));
}

describe('PostgreSQL stopped and started again under load (real child process)', () => {
  const children = useChildApps();
  let server: OwnPostgres | undefined;
  let url: string;

  beforeAll(async () => {
    await children.build();
    server = await OwnPostgres.start(join(children.logDir, 'postgres.log'));
    url = await server.createDatabase('ledger');
    await createLedgerTables(url);
  }, 120_000);

  afterAll(async () => {
    await children.killAll();
    await server?.destroy();
  }, 60_000);

  it('stays up, reconnects, loses nothing, applies nothing twice and logs the outage once, not per event', async () => {
    await children.explain(async () => {
      const seed = runSeed();
      const workload = planWorkload({ accounts: ACCOUNTS, eventsPerAccount: EVENTS_PER_ACCOUNT, seed });
      const app: ChildApp = children.start('A', { DATABASE_URL: url });
      await app.ready();

      const exclusive = new Exclusive();
      const stopFeeding = new AbortController();
      const began = Date.now();
      const feeding = feed(url, workload, FEED_MS, {
        signal: stopFeeding.signal,
        exclusive: (work) => exclusive.run(work),
      });
      const outages: string[] = [];
      let recoveredAt = 0;
      try {
        for (const afterMs of OUTAGE_AFTER_MS) {
          await sleep(afterMs);
          // "Mid-load": the stop lands while the app is busy on the database (if it gets busy soon),
          // just after the feed's chunk in flight, if any, was written.
          const moment = await untilBusy(url, BUSY);
          await exclusive.run(async () => {
            const stopAt = Date.now();
            await server!.stop();
            await sleep(DOWN_MS);
            await server!.start();
            recoveredAt = Date.now();
            outages.push(
              `${((stopAt - began) / 1000).toFixed(1)}–${((recoveredAt - began) / 1000).toFixed(1)} s, stopped ${moment}`,
            );
          });
        }
        await feeding;
      } finally {
        stopFeeding.abort();
        await feeding.catch(() => undefined);
      }

      await sleep(Math.max(0, recoveredAt + QUIET_AFTER_MS - Date.now()));
      const logAtQuiet = app.log().length;
      const settling = await waitUntilSettled(url, workload, SETTLE_MS, () => children.crashed().length > 0);

      const log = app.log();
      const lines = libraryLines(log);
      const outageLines = lines.filter((line) => OUTAGE_ERROR.test(line));
      const stackFrames = lines.filter((line) => STACK_FRAME.test(line));
      const afterRecovery = libraryLines(log.slice(logAtQuiet)).filter((line) => OUTAGE_ERROR.test(line));
      const logFigures = {
        'lines naming the outage': outageLines.length,
        'stack frame lines': stackFrames.length,
        [`outage lines from ${QUIET_AFTER_MS / 1000} s after recovery`]: afterRecovery.length,
      };
      printFigures('PostgreSQL stopped and started twice under load', settling, {
        seed,
        outages: outages.join(', '),
        'app alive': app.alive,
        'duplicate commands': totalDuplicates(settling.figures),
        ...logFigures,
      });
      const sample = [
        ...new Set(outageLines.map((line) => line.replace(/^\[Nest\] \d+ +- [^A-Z]+[AP]M +/, ''))),
      ];
      process.stdout.write(
        `[durability] distinct outage lines (first 15):\n  ${sample.slice(0, 15).join('\n  ')}\n`,
      );

      expect(children.crashed().map((child) => child.name)).toEqual([]);
      expect(app.alive).toBe(true);
      expect(violations(settling.figures)).toEqual(NO_VIOLATIONS);
      expect(settling.figures.historyDeposits).toBe(workload.events.length);
      expect(outageLines.length).toBeGreaterThan(0); // the outage shows in the log
      expect(outageLines.length).toBeLessThanOrEqual(MAX_OUTAGE_LINES);
      expect(stackFrames.length).toBeLessThanOrEqual(MAX_STACK_FRAME_LINES);
      expect(afterRecovery.length).toBeLessThanOrEqual(MAX_OUTAGE_LINES_AFTER_RECOVERY);
    });
  }, 150_000);
});
