import { Injectable } from '@nestjs/common';

interface Waiter {
  resolve(ok: boolean): void;
  deadline: number;
}

/**
 * Meets the driver and the app: the driver waits for event `n`, the command handler (or a failure
 * hook) reports it. Deadlines are swept once a second rather than one timer per event.
 */
@Injectable()
export class Probe {
  private readonly waiters = new Map<number, Waiter>();
  private sweeper?: NodeJS.Timeout;
  timeoutMs = 30_000;
  arrivals = 0;

  wait(n: number): Promise<boolean> {
    this.sweeper ??= setInterval(() => this.sweep(), 1_000);
    return new Promise((resolve) => this.waiters.set(n, { resolve, deadline: Date.now() + this.timeoutMs }));
  }

  arrived(n: number): void {
    this.arrivals++;
    this.settle(n, true);
  }

  failed(n: number): void {
    this.settle(n, false);
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const n of [...this.waiters.keys()]) this.settle(n, false);
  }

  private settle(n: number, ok: boolean): void {
    const waiter = this.waiters.get(n);
    if (!waiter) return;
    this.waiters.delete(n);
    waiter.resolve(ok);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [n, waiter] of this.waiters) if (waiter.deadline < now) this.settle(n, false);
  }
}
