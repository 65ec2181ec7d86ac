/** The time source of the engine, timers and recovery. Swap it for `VirtualClock` in tests. */
export abstract class Clock {
  abstract now(): Date;
}

export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}
