// Issue 14: two app instances (real child processes) on one database under load, one of them killed
// with SIGKILL at random moments and restarted, events entering through the app's own Outbox and
// through a broker-style consumer that acks after ProcessManagerService.deliver() resolved.
// DURABILITY_SEED=<n> repeats a run's workload and kill schedule.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { waitFor } from '../support/wait-for.js';
import { type ChildApp, useChildApps } from './support/children.js';
import {
  backlog,
  createLedgerTables,
  feed,
  NO_VIOLATIONS,
  planWorkload,
  printFigures,
  runSeed,
  seededRandom,
  totalDuplicates,
  violations,
  waitUntilSettled,
} from './support/ledger-workload.js';

const ACCOUNTS = 150;
const EVENTS_PER_ACCOUNT = 20; // 3,000 events, about half through each intake
const FEED_MS = 6_000;
const KILLS = 8;
/**
 * After the last kill. What a killed instance held comes back when its leases lapse: 30 s for rows
 * its fast path was dispatching, 60 s for timers, retries and outbox rows its pollers had claimed.
 */
const SETTLE_MS = 70_000;

const NAMES = ['A', 'B'];
/** Random pause before each kill (ms). */
const KILL_GAP_MS = [300, 1_200] as const;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('kill -9 of app instances under load (real child processes, PostgreSQL)', () => {
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

  it('applies every event exactly once, handles every command, fires every timer once, drains the outbox', async () => {
    await children.explain(async () => {
      const url = db!.url;
      const seed = runSeed();
      const workload = planWorkload({ accounts: ACCOUNTS, eventsPerAccount: EVENTS_PER_ACCOUNT, seed });
      const random = seededRandom(seed ^ 0x5eed);
      const began = Date.now();
      const at = () => `${((Date.now() - began) / 1000).toFixed(1)} s`;

      // One after the other: the first one runs the migrations (a boot race is another test's subject).
      const running: ChildApp[] = [];
      for (const name of NAMES) {
        const child = children.start(name, { DATABASE_URL: url });
        await child.ready();
        running.push(child);
      }

      // Kills land while the apps are behind (the feed outpaces them): the victim is one of the
      // instances that are up, at a random moment; the restart boots while the load goes on.
      const stopFeeding = new AbortController();
      const feeding = feed(url, workload, FEED_MS, { signal: stopFeeding.signal });
      const booting: Promise<void>[] = [];
      const kills: string[] = [];
      try {
        for (let kill = 0; kill < KILLS; kill++) {
          await sleep(KILL_GAP_MS[0] + random() * (KILL_GAP_MS[1] - KILL_GAP_MS[0]));
          const up = await waitFor(
            () => {
              const indexes = running.flatMap((child, index) => (child.booted && child.alive ? [index] : []));
              return indexes.length > 0 && indexes;
            },
            'an app instance that is up',
            60_000,
          );
          const victim = up[Math.floor(random() * up.length)]!;
          const queued = await backlog(url);
          await running[victim]!.kill();
          kills.push(`${running[victim]!.name} at ${at()} (queued ${queued.outbox}+${queued.broker})`);
          const restarted = children.start(NAMES[victim]!, { DATABASE_URL: url });
          running[victim] = restarted;
          const ready = restarted.ready();
          ready.catch(() => undefined); // awaited below, with the others
          booting.push(ready);
        }
        await Promise.all(booting);
        await feeding;
      } finally {
        stopFeeding.abort();
        await feeding.catch(() => undefined);
      }
      const loadEnded = at();

      const settling = await waitUntilSettled(url, workload, SETTLE_MS, () => children.crashed().length > 0);
      printFigures('kill -9 of one of two app instances, restarted each time', settling, {
        seed,
        kills: kills.length,
        'load ended at': loadEnded,
        crashes: children.crashed().length,
        'duplicate commands': totalDuplicates(settling.figures),
      });
      process.stdout.write(`[durability] kills: ${kills.join(', ')}\n`);

      expect(children.crashed().map((child) => child.name)).toEqual([]);
      expect(running.every((child) => child.alive)).toBe(true);
      expect(violations(settling.figures)).toEqual(NO_VIOLATIONS);
      expect(settling.figures.historyDeposits).toBe(workload.events.length);
    });
  }, 200_000);
});
