// Issue 14: one app instance (a real child process) under load while PostgreSQL terminates its
// connections — all of them every so often, and in between any connection caught in the middle of
// marking outbox rows dispatched. Marking must resume, the outbox drain, duplicates stay bounded,
// nothing be lost or applied twice, and the app stay up.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { useChildApps } from './support/children.js';
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
import { startTerminating, type TerminationStats } from './support/terminator.js';

const ACCOUNTS = 100;
const EVENTS_PER_ACCOUNT = 15; // 1,500 events
const FEED_MS = 10_000;
const TERMINATIONS = { broadEveryMs: 1_500, broadRounds: 6, markWrites: 8, markGapMs: 400 };
/**
 * After the last termination. A row whose send or mark was interrupted is sent again by the relay once
 * its lease lapsed: 30 s for the fast path's, 60 s for the relay's own claims.
 */
const SETTLE_MS = 70_000;
/**
 * Duplicate command runs allowed. Each termination may interrupt the mark writes and sends in flight,
 * whose rows the relay then sends again: under this load (~450 outbox rows/s, a coalesced mark write
 * every few ms) that is a few dozen rows per termination; 64 each leaves room. A marker that stops
 * marking after one failed write instead re-sends every later row at every lease (~1 per command,
 * thousands here), which this bound catches.
 */
const MAX_DUPLICATES = (TERMINATIONS.broadRounds + TERMINATIONS.markWrites) * 64;

describe('connections terminated by PostgreSQL under load (real child process)', () => {
  const children = useChildApps();
  let db: TestDatabase | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    await createLedgerTables(db.url);
    await children.build();
  }, 120_000);

  afterAll(async () => {
    await children.killAll();
    await db?.drop();
  }, 60_000);

  it('stays up, resumes marking, drains the outbox, loses nothing and applies nothing twice', async () => {
    await children.explain(async () => {
      const url = db!.url;
      const seed = runSeed();
      const workload = planWorkload({ accounts: ACCOUNTS, eventsPerAccount: EVENTS_PER_ACCOUNT, seed });
      const app = children.start('A', { DATABASE_URL: url });
      await app.ready();

      const stopFeeding = new AbortController();
      const feeding = feed(url, workload, FEED_MS, { signal: stopFeeding.signal });
      const terminator = startTerminating(url, TERMINATIONS);
      let stats: TerminationStats;
      try {
        await feeding;
      } finally {
        stopFeeding.abort();
        await feeding.catch(() => undefined);
        stats = await terminator.stop();
      }

      const settling = await waitUntilSettled(url, workload, SETTLE_MS, () => children.crashed().length > 0);
      const duplicates = totalDuplicates(settling.figures);
      printFigures('connections terminated under load', settling, {
        seed,
        'terminate-all rounds': stats.broadRounds,
        'backends terminated': stats.broadTerminated,
        'mark writes terminated': stats.markWritesTerminated,
        'app alive': app.alive,
        'duplicate commands': `${duplicates} (bound ${MAX_DUPLICATES})`,
      });

      expect(children.crashed().map((child) => child.name)).toEqual([]);
      expect(app.alive).toBe(true);
      // The test did what it says: it caught the app in the middle of marking rows dispatched.
      expect(stats.markWritesTerminated).toBeGreaterThan(0);
      expect(violations(settling.figures)).toEqual(NO_VIOLATIONS);
      expect(settling.figures.historyDeposits).toBe(workload.events.length);
      expect(duplicates).toBeLessThanOrEqual(MAX_DUPLICATES);
    });
  }, 150_000);
});
