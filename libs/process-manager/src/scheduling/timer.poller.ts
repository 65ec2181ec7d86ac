import { Inject, Injectable, Optional } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { FailureStore } from '../ports/failure-store.js';
import type { Lease } from '../ports/records.js';
import { TimerStore } from '../ports/timer-store.js';
import { RESOLVED_OPTIONS } from '../kernel/constants.js';
import type { ResolvedProcessManagerOptions } from '../kernel/options.js';
import { Clock } from '../kernel/clock.js';
import { ProcessRunner } from '../runtime/process-runner.js';
import { ClaimScopes } from './claim-scope.js';
import { PeriodicJob } from './periodic-job.js';

export const TIMER_POLL_INTERVAL = 'pm:timer-poll';

/**
 * How long a claim holds a timer or retry. Claims still being delivered are renewed while they wait
 * (behind their instance's other deliveries), so the lease only lapses for a crashed poller.
 */
export const CLAIM_LEASE_MS = 60_000;

/** Keeps one round from running forever under a flood of due timers; the next round continues. */
const MAX_BATCHES_PER_ROUND = 100;

/** Claimed deliveries in flight per batch size: bounds memory however slow the instances are. */
const IN_FLIGHT_BATCHES = 10;

interface HeldClaim extends Lease {
  kind: 'timer' | 'retry';
}

/**
 * Delivers what has fallen due: timers (to their own instance) and handler retries. Claims are
 * `SKIP LOCKED` leases limited to what this app routes (`ClaimScope`), and each delivery is deduped by
 * its id, so a timer takes effect once however many app instances poll, and one that fell due while
 * every app was down fires at the next round. A claimed delivery joins its instance's line in the
 * runner and the round moves on: a hung instance holds up only itself.
 */
@Injectable()
export class TimerPoller extends PeriodicJob {
  private readonly held = new Map<string, HeldClaim>();

  constructor(
    private readonly timers: TimerStore,
    private readonly failures: FailureStore,
    private readonly runner: ProcessRunner,
    private readonly scopes: ClaimScopes,
    private readonly clock: Clock,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedProcessManagerOptions,
    @Optional() schedulerRegistry?: SchedulerRegistry,
  ) {
    super(schedulerRegistry, {
      name: TIMER_POLL_INTERVAL,
      enabled: options.timers.enabled,
      intervalMs: options.timers.pollIntervalMs,
      switchedOffBy: 'timers.enabled',
      shutdownTimeoutMs: options.shutdownTimeoutMs,
      maxInFlight: options.timers.batchSize * IN_FLIGHT_BATCHES,
    });
  }

  /** Claims what is due, batch after batch while batches come back full and slots are free. */
  protected async work(): Promise<number> {
    await this.renewLeases();
    const scope = this.scopes.current;
    const { batchSize } = this.options.timers;
    let claimed = 0;
    for (let batch = 0; batch < MAX_BATCHES_PER_ROUND; batch++) {
      const now = this.clock.now();
      const leaseUntil = new Date(now.getTime() + CLAIM_LEASE_MS);
      const timerLimit = Math.min(batchSize, this.capacity);
      const timers =
        timerLimit > 0 ? await this.timers.claimDueTimers(now, leaseUntil, timerLimit, scope) : [];
      await this.runner.readInstancesOf(timers);
      for (const timer of timers)
        this.hold({ kind: 'timer', id: timer.id, until: leaseUntil }, () => this.runner.deliverTimer(timer));
      const retryLimit = Math.min(batchSize, this.capacity);
      const retries =
        retryLimit > 0 ? await this.failures.claimDueRetries(now, leaseUntil, retryLimit, scope) : [];
      // Launched in claim order: the runner's instance line keeps one instance's retries in that order.
      for (const retry of retries)
        this.hold({ kind: 'retry', id: retry.id, until: leaseUntil }, () => this.runner.redeliver(retry));
      claimed += timers.length + retries.length;
      const full =
        (timerLimit > 0 && timers.length === timerLimit) || (retryLimit > 0 && retries.length === retryLimit);
      if (!full) break;
      if (this.capacity === 0) {
        this.markBacklog();
        break;
      }
    }
    return claimed;
  }

  /** Launches a claimed delivery and keeps its lease alive until it settles. */
  private hold(claim: HeldClaim, deliver: () => Promise<void>): void {
    const key = `${claim.kind}:${claim.id}`;
    this.held.set(key, claim); // a row claimed again while in flight: the new claim is the lease held
    if (this.isInFlight(key)) return;
    this.launch(key, () =>
      deliver().finally(() => {
        this.held.delete(key);
      }),
    );
  }

  /** Renews, before they run short, the leases of deliveries still waiting or running here. */
  private async renewLeases(): Promise<void> {
    const now = this.clock.now().getTime();
    const expiring = [...this.held.entries()].filter(
      ([, claim]) => claim.until.getTime() - now < CLAIM_LEASE_MS / 2,
    );
    if (expiring.length === 0) return;
    const until = new Date(now + CLAIM_LEASE_MS);
    const of = (kind: HeldClaim['kind']) =>
      expiring.map(([, claim]) => claim).filter((claim) => claim.kind === kind);
    await this.timers.extendTimerLeases(of('timer'), until);
    await this.failures.extendRetryLeases(of('retry'), until);
    for (const [key, claim] of expiring)
      if (this.held.get(key) === claim) this.held.set(key, { ...claim, until });
  }
}
