import { Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { SchedulerRegistry } from '@nestjs/schedule';

/**
 * A job run every `intervalMs` through `SchedulerRegistry` (so operators see it by name). A tick
 * is skipped while the previous one still runs; `tickOnce()` is public for tests and manual runs.
 */
export abstract class PeriodicJob implements OnApplicationBootstrap, BeforeApplicationShutdown {
  protected readonly logger = new Logger(this.constructor.name);
  private running: Promise<number> | undefined;
  private registered = false;

  protected constructor(
    private readonly schedulerRegistry: SchedulerRegistry | undefined,
    private readonly jobName: string,
    private readonly enabled: boolean,
    private readonly intervalMs: number,
  ) {}

  /** Does one round of work; returns how many items it handled. */
  protected abstract work(): Promise<number>;

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    if (!this.schedulerRegistry) {
      this.logger.warn(`${this.jobName} is off: import ScheduleModule.forRoot() to run it.`);
      return;
    }
    const ref = setInterval(() => void this.tickOnce(), this.intervalMs);
    this.schedulerRegistry.addInterval(this.jobName, ref);
    this.registered = true;
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.registered) this.schedulerRegistry!.deleteInterval(this.jobName);
    this.registered = false;
    await this.running?.catch(() => undefined);
  }

  /** One round now; resolves to the items handled (0 when a round is already running). */
  async tickOnce(): Promise<number> {
    if (this.running) return 0;
    this.running = this.work().catch((error: unknown) => {
      this.logger.error(`${this.jobName} failed: ${error instanceof Error ? error.message : String(error)}`);
      return 0;
    });
    try {
      return await this.running;
    } finally {
      this.running = undefined;
    }
  }
}
