import { CounterEvent } from '../fixtures/counter.messages.js';
import { seededRandom } from './stats.js';

/**
 * `uniform`: the events of all processes shuffled together, so two events of one process are rarely
 * in flight at once. `bursty`: all events of a process back to back, so they arrive together.
 */
export type TrafficPattern = 'uniform' | 'bursty';

export interface StreamPlan {
  prefix: string;
  instances: number;
  eventsPerInstance: number;
  pattern: TrafficPattern;
  /** `n` of the first event; every event of a level gets a distinct `n`. */
  firstN: number;
}

export function counterEvents(plan: StreamPlan): CounterEvent[] {
  const order: number[] = [];
  for (let instance = 0; instance < plan.instances; instance++) {
    for (let event = 0; event < plan.eventsPerInstance; event++) order.push(instance);
  }
  if (plan.pattern === 'uniform') shuffle(order, seededRandom(plan.firstN + 1));
  return order.map(
    (instance, index) =>
      new CounterEvent(`${plan.prefix}-${instance}`, plan.firstN + index, plan.eventsPerInstance),
  );
}

function shuffle(values: number[], random: () => number): void {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [values[i], values[j]] = [values[j]!, values[i]!];
  }
}
