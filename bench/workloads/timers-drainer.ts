/**
 * Child process: one long-lived app instance whose timer poller drains due timers, drain after drain.
 * Started once per configuration by the timers workload; reports progress (and its own CPU and query
 * counters) every 100 ms until told to stop. Between drains the parent sends `reset` (the tally of
 * fired timers starts again; the answer carries the counters at that moment) and, once a drain is over,
 * `report` (the answer carries the keys fired since the reset).
 */
import type { ProcessManagerModuleOptions } from 'nestjs-process-manager';
import { type ChildMessage, fromParent, toParent } from '../harness/child.js';
import { createBenchApp } from '../harness/nest-app.js';
import { installQueryCounter, sampleResources } from '../harness/resources.js';
import { FireTally, TimerFiredHandler, TimerProcess } from '../fixtures/timer.process.js';

installQueryCounter();
const app = await createBenchApp({
  url: process.env.BENCH_DATABASE_URL!,
  providers: [FireTally, TimerFiredHandler, TimerProcess],
  processManager: {
    ...(JSON.parse(process.env.BENCH_PM_OPTIONS ?? '{}') as ProcessManagerModuleOptions),
    timers: {
      pollIntervalMs: Number(process.env.BENCH_TIMER_POLL_MS),
      batchSize: Number(process.env.BENCH_TIMER_BATCH),
    },
  },
});
const tally = app.get(FireTally);
/** Fires since the last reset; CPU and query counters since the process started (the parent takes deltas). */
const report = (type: string, withKeys: boolean) => {
  const { nodeCpuUs, roundTrips, transactions } = sampleResources(undefined);
  toParent({
    type,
    fired: tally.keys.size,
    fires: tally.fires,
    // The parent unites the keys of all instances to find a timer that fired on two of them.
    ...(withKeys ? { keys: [...tally.keys] } : {}),
    first: tally.first,
    last: tally.last,
    nodeCpuUs,
    roundTrips,
    transactions,
  });
};
process.on('message', (message: ChildMessage) => {
  if (message.type === 'reset') {
    // Between drains no timer is due, so nothing fires while the tally starts again.
    tally.keys.clear();
    tally.fires = 0;
    tally.first = 0;
    tally.last = 0;
    report('reset', false);
  } else if (message.type === 'report') report('report', true);
});
const progress = setInterval(() => report('progress', false), 100);
toParent({ type: 'ready' });
await fromParent('stop');
clearInterval(progress);
report('done', true);
await app.close();
process.disconnect();
