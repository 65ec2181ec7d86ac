import type { INestApplicationContext } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import { AckHandler } from '../fixtures/counter.messages.js';
import { CounterProcess } from '../fixtures/counter.process.js';
import { PlainCounterHandler } from '../fixtures/plain-counter.handler.js';
import { type LevelFigures, measureLevel } from '../harness/level.js';
import { createBenchApp } from '../harness/nest-app.js';
import { Probe } from '../harness/probe.js';
import type { WorkloadContext } from '../harness/workload.js';

export interface InMemoryFigures {
  inFlight: number;
  store: LevelFigures;
  plainCqrs: LevelFigures;
}

const IN_FLIGHT = 64;

/**
 * The library with `store: 'memory'` against a plain `@nestjs/cqrs` `@EventsHandler` doing the same
 * work (state per key in a Map, one command per event): the cost of the library's own path, no I/O.
 */
export async function runInMemory(context: WorkloadContext): Promise<InMemoryFigures> {
  const plan = {
    inFlight: IN_FLIGHT,
    instances: Math.max(
      context.config.runs,
      Math.round(context.config.inMemoryEvents / context.config.eventsPerInstance),
    ),
    eventsPerInstance: context.config.eventsPerInstance,
    runs: context.config.runs,
    pattern: 'uniform' as const,
    postmasterPid: undefined,
    maxRunMs: context.config.maxRunSeconds * 1000,
  };
  const store = await measure(
    await createBenchApp({
      providers: [Probe, AckHandler, CounterProcess],
      processManager: { ...context.config.processManagerOptions, store: 'memory' },
    }),
    plan,
    context,
  );
  const plainCqrs = await measure(
    await createBenchApp({ providers: [Probe, AckHandler, PlainCounterHandler] }),
    plan,
    context,
  );
  return { inFlight: IN_FLIGHT, store, plainCqrs };
}

async function measure(
  app: INestApplicationContext,
  plan: Parameters<typeof measureLevel>[0],
  context: WorkloadContext,
): Promise<LevelFigures> {
  const probe = app.get(Probe);
  probe.timeoutMs = context.config.eventTimeoutMs;
  const eventBus = app.get(EventBus);
  try {
    return await measureLevel(plan, (event) => {
      const done = probe.wait(event.n);
      eventBus.publish(event);
      return done;
    });
  } finally {
    probe.close();
    await app.close();
  }
}
