import { EventBus } from '@nestjs/cqrs';
import { AckHandler } from '../fixtures/counter.messages.js';
import { NaiveCounterHandler } from '../fixtures/naive-counter.handler.js';
import { NAIVE_TABLES_SQL, NaiveHistoryEntity, NaiveProcessEntity } from '../fixtures/naive.entities.js';
import { createDatabase, withClient } from '../harness/database.js';
import type { TrafficPattern } from '../harness/event-stream.js';
import { measureLevel } from '../harness/level.js';
import { createBenchApp } from '../harness/nest-app.js';
import { Probe } from '../harness/probe.js';
import { type CounterLevel, counterPlan, settleLevel, type WorkloadContext } from '../harness/workload.js';

/** The hand-written TypeORM load-mutate-save process manager, same events, same app shape. */
export async function runNaive(
  context: WorkloadContext,
  inFlight: number,
  pattern: TrafficPattern = 'uniform',
): Promise<CounterLevel> {
  const database = await createDatabase(context.server.url, `naive_${inFlight}_${pattern}`, context.config);
  try {
    await withClient(database.url, (client) => client.query(NAIVE_TABLES_SQL));
    const app = await createBenchApp({
      url: database.url,
      poolMax: inFlight,
      entities: [NaiveProcessEntity, NaiveHistoryEntity],
      providers: [Probe, AckHandler, NaiveCounterHandler],
    });
    const probe = app.get(Probe);
    probe.timeoutMs = context.config.eventTimeoutMs;
    const eventBus = app.get(EventBus);
    let figures;
    try {
      figures = await measureLevel(counterPlan(context, inFlight, pattern, [database.url]), (event) => {
        const done = probe.wait(event.n);
        eventBus.publish(event);
        return done;
      });
    } finally {
      probe.close();
      await app.close();
    }
    return await settleLevel(
      context,
      database.url,
      figures,
      `SELECT coalesce(sum((state->>'count')::int), 0)::int AS applied FROM bench_naive_process`,
    );
  } finally {
    await database.drop();
  }
}
