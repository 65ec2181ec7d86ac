import {
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnModuleInit,
} from '@nestjs/common';
import type { SchedulerRegistry } from '@nestjs/schedule';
import { MissingDependencyModuleError } from '../errors/index.js';
import { describeError } from '../kernel/describe-error.js';
import { settlesWithin } from '../runtime/timeout.js';

export interface PeriodicJobOptions {
  /** The scheduler entry, e.g. `pm:timer-poll`. */
  name: string;
  enabled: boolean;
  intervalMs: number;
  /** The option that switches the job off, named in the boot error. */
  switchedOffBy: string;
  /** Longest shutdown waits for the round in progress. */
  shutdownTimeoutMs: number;
  /** Deliveries this job keeps in flight at most; its rounds claim no more than the free slots. */
  maxInFlight?: number;
}

/**
 * A job run every `intervalMs` through `SchedulerRegistry` (so operators see it by name). A round
 * claims work and hands each item off (`launch`) without waiting for it, so a slow or hung delivery
 * never holds up the next round; rounds never overlap, and the items in flight are bounded.
 * `tickOnce()` is public for tests and manual runs: one round, and then the items it started.
 */
export abstract class PeriodicJob implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  protected readonly logger = new Logger(this.constructor.name);
  private round: Promise<{ handled: number; launched: Promise<number>[] }> | undefined;
  private launchedThisRound: Promise<number>[] = [];
  private readonly inFlight = new Map<string, Promise<number>>();
  private registered = false;
  private stopped = false;
  /** The last round stopped at the in-flight bound with work left over. */
  private backlog = false;

  protected constructor(
    private readonly schedulerRegistry: SchedulerRegistry | undefined,
    private readonly job: PeriodicJobOptions,
  ) {}

  /** One round: claims work, launches it, and returns how many items it handled itself. */
  protected abstract work(): Promise<number>;

  onModuleInit(): void {
    if (this.job.enabled && !this.schedulerRegistry)
      throw new MissingDependencyModuleError(
        `SchedulerRegistry to run ${this.job.name} (or set ${this.job.switchedOffBy}: false)`,
        'ScheduleModule.forRoot()',
      );
  }

  onApplicationBootstrap(): void {
    if (!this.job.enabled) return;
    const ref = setInterval(() => void this.startRound(), this.job.intervalMs);
    this.schedulerRegistry!.addInterval(this.job.name, ref);
    this.registered = true;
  }

  /**
   * Stops claiming at once and waits (bounded) for the round in progress. Items in flight are the
   * runner's to drain; whatever is left comes back when its lease lapses. Never throws.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.registered) this.schedulerRegistry!.deleteInterval(this.job.name);
    this.registered = false;
    if (!this.round) return;
    if (!(await settlesWithin(this.round, this.job.shutdownTimeoutMs)))
      this.logger.warn(
        `${this.job.name}: stopped with a round still running after ${this.job.shutdownTimeoutMs} ms; ` +
          `its claims lapse and the work is taken again later`,
      );
  }

  /** Whether the app runs this job (its `enabled` option). */
  get enabled(): boolean {
    return this.job.enabled;
  }

  /**
   * `tickOnce()` that never comes back empty-handed because the interval's round was running: waits
   * for that round and its items first (testing's `tick()`).
   */
  async tickAfterRunning(): Promise<number> {
    while (this.round) await this.round.then(({ launched }) => Promise.all(launched));
    return this.tickOnce();
  }

  /**
   * One round now, then the items it launched; resolves to the items handled (the round's own count
   * plus what its items report), 0 when a round is already running or the app is shutting down.
   */
  async tickOnce(): Promise<number> {
    const round = this.startRound();
    if (!round) return 0;
    const { handled, launched } = await round;
    const reported = await Promise.all(launched);
    return reported.reduce((sum, count) => sum + count, handled);
  }

  /** Free slots: how many more items a round may launch. */
  protected get capacity(): number {
    return Math.max(0, (this.job.maxInFlight ?? Infinity) - this.inFlight.size);
  }

  protected isInFlight(key: string): boolean {
    return this.inFlight.has(key);
  }

  /** The round stopped for want of slots with work left: start the next one once half are free. */
  protected markBacklog(): void {
    this.backlog = true;
  }

  /**
   * Runs `item` without waiting for it, at most once per `key` at a time (a lease that lapsed while it
   * ran may bring its row back to a claim). It resolves to what it counts as handled; a failure is logged.
   */
  protected launch(key: string, item: () => Promise<number | void>): void {
    if (this.inFlight.has(key)) return;
    let started: Promise<number | void>;
    try {
      started = item();
    } catch (error) {
      started = Promise.reject(error);
    }
    const settled = started
      .then(
        (handled) => handled ?? 0,
        (error: unknown) => {
          this.logger.error(`${this.job.name}: ${key} failed: ${describeError(error)}`);
          return 0;
        },
      )
      .finally(() => {
        this.inFlight.delete(key);
        this.refill();
      });
    this.inFlight.set(key, settled);
    this.launchedThisRound.push(settled);
  }

  private startRound(): Promise<{ handled: number; launched: Promise<number>[] }> | undefined {
    if (this.round || this.stopped) return undefined;
    this.launchedThisRound = [];
    const launched = this.launchedThisRound;
    const round = this.work()
      .catch((error: unknown) => {
        this.logger.error(`${this.job.name} failed: ${describeError(error)}`);
        return 0;
      })
      .then((handled) => ({ handled, launched }))
      .finally(() => {
        this.round = undefined;
      });
    this.round = round;
    return round;
  }

  private refill(): void {
    const maxInFlight = this.job.maxInFlight ?? Infinity;
    if (!this.backlog || !this.registered || this.round || this.inFlight.size > maxInFlight / 2) return;
    this.backlog = false;
    void this.startRound();
  }
}
