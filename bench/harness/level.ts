import type { CounterEvent } from '../fixtures/counter.messages.js';
import { drive } from './driver.js';
import { counterEvents, type TrafficPattern } from './event-stream.js';
import { costPerEvent, type EventCost, type ResourceSample, sampleResources } from './resources.js';
import { median, percentile } from './stats.js';

/** One concurrency level of one implementation: a warm-up, then `runs` measured runs on fresh processes. */
export interface LevelPlan {
  inFlight: number;
  /** Processes over all measured runs (the warm-up adds its own). */
  instances: number;
  eventsPerInstance: number;
  runs: number;
  pattern: TrafficPattern;
  postmasterPid: number | undefined;
  /** A measured run stops sending after this long (keeps `npm run bench` within its time budget). */
  maxRunMs: number;
  /** Runs between the warm-up and the measured runs (counterPlan: ANALYZE the level's databases). */
  afterWarmup?: () => Promise<void>;
  /** Where the level's cost is read; default this process (`sampleResources`). Child processes add theirs. */
  resources?: () => Promise<ResourceSample>;
}

export interface RunFigures {
  events: number;
  eventsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  failed: number;
}

export interface LevelFigures {
  inFlight: number;
  pattern: TrafficPattern;
  /** Events in the measured runs (fewer than planned when a run hit `maxRunMs`). */
  events: number;
  /** Events the plan asked for in the measured runs. */
  eventsPlanned: number;
  /** Events sent in total, warm-up included (what lost updates are counted against). */
  eventsSent: number;
  eventsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  failed: number;
  runs: RunFigures[];
  cost: EventCost;
}

/** Sends one event and resolves when it is done (false: failed or timed out). */
export type SendEvent = (event: CounterEvent) => Promise<boolean>;

export async function measureLevel(plan: LevelPlan, send: SendEvent): Promise<LevelFigures> {
  const perRun = Math.max(1, Math.floor(plan.instances / plan.runs));
  const warmup = Math.max(Math.ceil(plan.inFlight * 2), Math.ceil(perRun / 10));
  let firstN = 0;
  let sent = 0;
  const events = (prefix: string, instances: number) => {
    const stream = counterEvents({
      prefix,
      instances,
      eventsPerInstance: plan.eventsPerInstance,
      pattern: plan.pattern,
      firstN,
    });
    firstN += stream.length;
    return stream;
  };

  const warmupEvents = events('warmup', warmup);
  sent += (
    await drive(warmupEvents.length, plan.inFlight, (index) => send(warmupEvents[index]!), plan.maxRunMs)
  ).events;
  await plan.afterWarmup?.();

  const runs: RunFigures[] = [];
  let measured = 0;
  const resources = plan.resources ?? (() => Promise.resolve(sampleResources(plan.postmasterPid)));
  const before = await resources();
  for (let run = 1; run <= plan.runs; run++) {
    const stream = events(`run${run}`, perRun);
    const result = await drive(stream.length, plan.inFlight, (index) => send(stream[index]!), plan.maxRunMs);
    measured += result.events;
    runs.push({
      events: result.events,
      eventsPerSec: (result.events / result.elapsedMs) * 1000,
      p50Ms: percentile(result.latenciesMs, 50),
      p99Ms: percentile(result.latenciesMs, 99),
      failed: result.failed,
    });
  }
  return {
    inFlight: plan.inFlight,
    pattern: plan.pattern,
    events: measured,
    eventsPlanned: perRun * plan.eventsPerInstance * plan.runs,
    eventsSent: sent + measured,
    eventsPerSec: median(runs.map((r) => r.eventsPerSec)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    failed: runs.reduce((sum, r) => sum + r.failed, 0),
    runs,
    cost: costPerEvent(before, await resources(), measured),
  };
}
