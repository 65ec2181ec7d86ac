import type { Provider } from '@nestjs/common';
import { EventBus, UnhandledExceptionBus } from '@nestjs/cqrs';
import { AckHandler, CounterEvent } from '../fixtures/counter.messages.js';
import { COUNTER_PROCESS, CounterProcess } from '../fixtures/counter.process.js';
import { COUNTER_REACTION, CounterReaction } from '../fixtures/counter.reaction.js';
import { createDatabase } from '../harness/database.js';
import type { TrafficPattern } from '../harness/event-stream.js';
import { measureLevel } from '../harness/level.js';
import { createBenchApp } from '../harness/nest-app.js';
import { Probe } from '../harness/probe.js';
import { type CounterLevel, counterPlan, settleLevel, type WorkloadContext } from '../harness/workload.js';

/** What handles the counter events in the library's app, and how the database tells what was applied. */
interface LibraryHandler {
  label: string;
  handler: Provider;
  appliedSql: string;
  appliedValues: unknown[];
}

/**
 * The library on PostgreSQL: a real Nest app (CqrsModule, TypeORM, ProcessManagerModule) whose
 * process manager sends a command per event; latency runs from publish to the command handler.
 */
export function runStateful(
  context: WorkloadContext,
  inFlight: number,
  pattern: TrafficPattern = 'uniform',
): Promise<CounterLevel> {
  return runOnLibrary(context, inFlight, pattern, {
    label: `stateful_${inFlight}_${pattern}`,
    handler: CounterProcess,
    appliedSql: `SELECT coalesce(sum((state->>'count')::int), 0)::int AS applied FROM pm_process WHERE type = $1`,
    appliedValues: [COUNTER_PROCESS],
  });
}

/**
 * The same app with a durable stateless `@OnEvent` reaction instead of the process: an inbox mark and
 * an outbox row per event, group-committed like steps. Lost = events without their inbox mark.
 */
export function runStateless(context: WorkloadContext, inFlight: number): Promise<CounterLevel> {
  return runOnLibrary(context, inFlight, 'uniform', {
    label: `stateless_${inFlight}`,
    handler: CounterReaction,
    appliedSql: `SELECT count(*)::int AS applied FROM pm_inbox WHERE handler = $1`,
    appliedValues: [COUNTER_REACTION],
  });
}

async function runOnLibrary(
  context: WorkloadContext,
  inFlight: number,
  pattern: TrafficPattern,
  subject: LibraryHandler,
): Promise<CounterLevel> {
  const database = await createDatabase(context.server.url, subject.label, context.config);
  try {
    const app = await createBenchApp({
      url: database.url,
      poolMax: inFlight,
      providers: [Probe, AckHandler, subject.handler],
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
    return await settleLevel(context, database.url, figures, subject.appliedSql, subject.appliedValues);
  } finally {
    await database.drop();
  }
}
