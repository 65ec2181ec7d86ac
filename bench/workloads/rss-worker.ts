/**
 * Child process (run with --expose-gc): one library app on PostgreSQL completes processes of one
 * event each and reports its RSS and heap after each checkpoint, after a full GC.
 */
import { EventBus } from '@nestjs/cqrs';
import type { ProcessManagerModuleOptions } from 'nestjs-process-manager';
import { AckHandler } from '../fixtures/counter.messages.js';
import { CounterProcess } from '../fixtures/counter.process.js';
import { toParent } from '../harness/child.js';
import { drive } from '../harness/driver.js';
import { counterEvents } from '../harness/event-stream.js';
import { createBenchApp } from '../harness/nest-app.js';
import { Probe } from '../harness/probe.js';
import { sleep } from '../harness/wait.js';

const IN_FLIGHT = 64;
const checkpoints = process.env.BENCH_RSS_CHECKPOINTS!.split(',').map(Number);
const app = await createBenchApp({
  url: process.env.BENCH_DATABASE_URL!,
  poolMax: 16,
  providers: [Probe, AckHandler, CounterProcess],
  processManager: JSON.parse(process.env.BENCH_PM_OPTIONS ?? '{}') as ProcessManagerModuleOptions,
});
const probe = app.get(Probe);
const eventBus = app.get(EventBus);
const samples: { processes: number; rssBytes: number; heapUsedBytes: number }[] = [];
let completed = 0;
let failed = 0;

/** Completes `count` processes; the events are garbage once it returns, so they never count as retained. */
async function complete(prefix: string, count: number): Promise<void> {
  const events = counterEvents({
    prefix,
    instances: count,
    eventsPerInstance: 1,
    pattern: 'bursty',
    firstN: completed,
  });
  const result = await drive(events.length, IN_FLIGHT, (i) => {
    const done = probe.wait(events[i]!.n);
    eventBus.publish(events[i]!);
    return done;
  });
  failed += result.failed;
  completed += count;
}

for (const [index, target] of checkpoints.entries()) {
  await complete(`rss${index}`, target - completed);
  for (let round = 0; round < 3; round++) {
    globalThis.gc?.();
    await sleep(200);
  }
  const memory = process.memoryUsage();
  samples.push({ processes: completed, rssBytes: memory.rss, heapUsedBytes: memory.heapUsed });
}
probe.close();
await app.close();
toParent({ type: 'result', samples, failed });
process.disconnect();
