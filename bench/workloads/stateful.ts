import { EventBus, UnhandledExceptionBus } from '@nestjs/cqrs';
import { AckHandler, CounterEvent } from '../fixtures/counter.messages.js';
import { COUNTER_PROCESS, CounterProcess } from '../fixtures/counter.process.js';
import { createDatabase } from '../harness/database.js';
import type { TrafficPattern } from '../harness/event-stream.js';
import { measureLevel } from '../harness/level.js';
import { createBenchApp } from '../harness/nest-app.js';
import { Probe } from '../harness/probe.js';
import { type CounterLevel, counterPlan, settleLevel, type WorkloadContext } from '../harness/workload.js';

/**
 * The library on PostgreSQL: a real Nest app (CqrsModule, TypeORM, ProcessManagerModule) whose
 * process manager sends a command per event; latency runs from publish to the command handler.
 */
export async function runStateful(
  context: WorkloadContext,
  inFlight: number,
  pattern: TrafficPattern = 'uniform',
): Promise<CounterLevel> {
  const database = await createDatabase(
    context.server.url,
    `stateful_${inFlight}_${pattern}`,
    context.config,
  );
  try {
    const app = await createBenchApp({
      url: database.url,
      poolMax: inFlight,
      providers: [Probe, AckHandler, CounterProcess],
      processManager: context.config.processManagerOptions,
    });
    const probe = app.get(Probe);
    probe.timeoutMs = context.config.eventTimeoutMs;
    const eventBus = app.get(EventBus);
    const failures = app.get(UnhandledExceptionBus).subscribe(({ cause }) => {
      if (cause instanceof CounterEvent) probe.failed(cause.n);
    });
    let figures;
    try {
      figures = await measureLevel(counterPlan(context, inFlight, pattern, [database.url]), (event) => {
        const done = probe.wait(event.n);
        eventBus.publish(event);
        return done;
      });
    } finally {
      failures.unsubscribe();
      probe.close();
      await app.close();
    }
    return await settleLevel(
      context,
      database.url,
      figures,
      `SELECT coalesce(sum((state->>'count')::int), 0)::int AS applied FROM pm_process WHERE type = $1`,
      [COUNTER_PROCESS],
    );
  } finally {
    await database.drop();
  }
}
