import { parseDuration } from '../kernel/duration.js';
import { Clock } from '../kernel/clock.js';

/** A clock that only moves when told: `advance('15m')`, `set(date)`. Provide it as `Clock` in tests. */
export class VirtualClock extends Clock {
  private current: number;

  constructor(start: Date | string = '2030-01-01T00:00:00.000Z') {
    super();
    this.current = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  /** Moves time forward by a duration (ms or '30s', '15m', '2h', '7d'). */
  advance(duration: number | string): Date {
    this.current += parseDuration(duration);
    return this.now();
  }

  set(date: Date | string): void {
    this.current = new Date(date).getTime();
  }
}
