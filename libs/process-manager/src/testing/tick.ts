import type { INestApplicationContext } from '@nestjs/common';
import { ProcessRunner } from '../runtime/process-runner.js';
import type { PeriodicJob } from '../scheduling/periodic-job.js';
import { OutboxRelay } from '../scheduling/outbox.relay.js';
import { RetentionJob } from '../scheduling/retention.job.js';
import { StuckProcessRecoverer } from '../scheduling/stuck-process.recoverer.js';
import { TimerPoller } from '../scheduling/timer.poller.js';

/**
 * One round of every periodic job the app runs (`enabled`) — due timers and retries, the outbox relay,
 * stuck-process recovery, retention — in that order, then waits until the deliveries they started are
 * done (a round an interval had started is awaited first). Resolves to the number of items handled.
 * For integration tests on the app's real store, with `VirtualClock` provided as `Clock`.
 */
export async function tick(app: INestApplicationContext): Promise<number> {
  const jobs: PeriodicJob[] = [
    app.get(TimerPoller, { strict: false }),
    app.get(OutboxRelay, { strict: false }),
    app.get(StuckProcessRecoverer, { strict: false }),
    app.get(RetentionJob, { strict: false }),
  ];
  const runner = app.get(ProcessRunner, { strict: false });
  let handled = 0;
  for (const job of jobs) {
    if (!job.enabled) continue;
    handled += await job.tickAfterRunning();
    await runner.whenIdle();
  }
  return handled;
}
