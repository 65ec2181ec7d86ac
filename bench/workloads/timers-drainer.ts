/**
 * Child process: one app instance whose timer poller drains due timers. Started by the timers
 * workload; reports progress (and its own CPU and query counters) until told to stop, then the keys
 * it fired.
 */
import type { ProcessManagerModuleOptions } from 'nestjs-process-manager';
import { fromParent, toParent } from '../harness/child.js';
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
const report = (type: string) => {
  const { nodeCpuUs, roundTrips, transactions } = sampleResources(undefined);
  toParent({
    type,
    fired: tally.keys.size,
    fires: tally.fires,
    // The parent unites the keys of all instances to find a timer that fired on two of them.
    ...(type === 'done' ? { keys: [...tally.keys] } : {}),
    first: tally.first,
    last: tally.last,
    nodeCpuUs,
    roundTrips,
    transactions,
  });
};
const progress = setInterval(() => report('progress'), 100);
toParent({ type: 'ready' });
await fromParent('stop');
clearInterval(progress);
report('done');
await app.close();
process.disconnect();
