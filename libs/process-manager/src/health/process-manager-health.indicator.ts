import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { HealthIndicatorService } from '@nestjs/terminus';
import { Clock } from '../kernel/clock.js';
import { describeError } from '../kernel/describe-error.js';
import { type HealthFigures, HealthQueries } from '../ports/health-queries.js';
import { MessageTransport, type TransportStatus } from '../runtime/message-transport.js';
import { ClaimScopes } from '../scheduling/claim-scope.js';
import { TerminusNotInstalledError } from './health.errors.js';
import {
  type ProcessManagerHealthThresholds,
  type ResolvedHealthThresholds,
  resolveThresholds,
} from './health-thresholds.js';

/** What the indicator found; `problems` names each threshold breached (empty when up). */
export interface ProcessManagerHealthDetails {
  status: 'up' | 'down';
  /** Age of the oldest outbox row neither dispatched nor given up on (0: none). */
  outboxLagSeconds?: number;
  /** How long the earliest due timer has waited to fire (0: none due). */
  timerLagSeconds?: number;
  /** Dead letters waiting for an operator. */
  openDeadLetters?: number;
  /** The message transport's link to its broker; absent when the app has none. */
  transport?: TransportHealth;
  problems: string[];
}

export interface TransportHealth {
  /** The broker's kind: `'rabbitmq'`. */
  name: string;
  connected: boolean;
  /** While not connected: for how long. */
  disconnectedSeconds?: number;
}

/** A `@nestjs/terminus` `HealthIndicatorResult`: the details under the key. */
export type ProcessManagerHealthResult<Key extends string> = Record<Key, ProcessManagerHealthDetails>;

/**
 * A `@nestjs/terminus` health indicator for the process manager: the database answers, messages leave
 * the outbox, timers fire on time, dead letters do not pile up and the message transport (when the app
 * has one, e.g. `RabbitMqTransportModule`) is connected to its broker. Provided by `ProcessManagerModule`
 * (inject it anywhere); `@nestjs/terminus` is loaded on the first check, so apps without it never load it.
 *
 * ```ts
 * @Get('health') @HealthCheck()
 * check() {
 *   return this.health.check([() => this.processManager.isHealthy('processManager', { deadLetters: 0 })]);
 * }
 * ```
 */
@Injectable()
export class ProcessManagerHealthIndicator {
  private indicators?: Promise<HealthIndicatorService>;
  /** Looked up on the first check (a transport module is optional); `null`: the app has none. */
  private transport?: MessageTransport | null;

  constructor(
    private readonly queries: HealthQueries,
    private readonly scopes: ClaimScopes,
    private readonly clock: Clock,
    private readonly moduleRef: ModuleRef,
  ) {}

  /**
   * Up, or down naming each breached threshold (`problems`), with the figures it judged. The outbox and
   * timers judged are those this app's relay and poller take; dead letters are all open ones. The
   * transport is judged even when the database does not answer.
   * @param key the key of the result, as terminus reports it
   */
  async isHealthy<const Key extends string = 'processManager'>(
    key: Key = 'processManager' as Key,
    thresholds: ProcessManagerHealthThresholds = {},
  ): Promise<ProcessManagerHealthResult<Key>> {
    const limits = resolveThresholds(thresholds);
    const session = (await this.terminus()).check(key);
    const now = this.clock.now();
    const transport = this.transportStatus();
    const link = transport && judgeTransport(transport, now, limits.transportOutageMs);
    let figures: HealthFigures;
    try {
      figures = await withTimeout(this.queries.healthFigures(now, this.scopes.current), limits.timeoutMs);
    } catch (error) {
      return session.down({
        ...(link && { transport: link.health }),
        problems: [`database unreachable: ${describeError(error)}`, ...(link?.problems ?? [])],
      });
    }
    const details: Omit<ProcessManagerHealthDetails, 'status'> = judge(figures, now, limits);
    if (link) {
      details.transport = link.health;
      details.problems.push(...link.problems);
    }
    return details.problems.length > 0 ? session.down(details) : session.up(details);
  }

  private transportStatus(): TransportStatus | undefined {
    if (this.transport === undefined) {
      try {
        this.transport = this.moduleRef.get(MessageTransport, { strict: false });
      } catch {
        this.transport = null; // no transport module in this app
      }
    }
    return this.transport?.status?.();
  }

  private terminus(): Promise<HealthIndicatorService> {
    return (this.indicators ??= this.loadTerminus());
  }

  private async loadTerminus(): Promise<HealthIndicatorService> {
    let terminus: { HealthIndicatorService: new () => HealthIndicatorService };
    try {
      terminus = await import('@nestjs/terminus');
    } catch (error) {
      throw new TerminusNotInstalledError(error);
    }
    try {
      return this.moduleRef.get(terminus.HealthIndicatorService, { strict: false });
    } catch {
      return new terminus.HealthIndicatorService(); // the app did not import TerminusModule (yet)
    }
  }
}

function judge(figures: HealthFigures, now: Date, limits: ResolvedHealthThresholds) {
  const problems: string[] = [];
  const lag = (since: Date | undefined, limitMs: number | false, what: string) => {
    const ms = since === undefined ? 0 : Math.max(0, now.getTime() - since.getTime());
    if (limitMs !== false && ms > limitMs) problems.push(`${what} ${seconds(ms)} s > ${seconds(limitMs)} s`);
    return seconds(ms);
  };
  const outboxLagSeconds = lag(figures.oldestPendingOutboxAt, limits.outboxLagMs, 'outbox lag');
  const timerLagSeconds = lag(figures.oldestDueTimerAt, limits.timerLagMs, 'timer lag');
  const { openDeadLetters } = figures;
  if (limits.deadLetters !== false && openDeadLetters > limits.deadLetters)
    problems.push(`open dead letters ${openDeadLetters} > ${limits.deadLetters}`);
  return { outboxLagSeconds, timerLagSeconds, openDeadLetters, problems };
}

function judgeTransport(status: TransportStatus, now: Date, limitMs: number | false) {
  const health: TransportHealth = { name: status.name, connected: status.connected };
  if (status.connected) return { health, problems: [] };
  const since = status.disconnectedSince ?? now;
  const ms = Math.max(0, now.getTime() - since.getTime());
  health.disconnectedSeconds = seconds(ms);
  const problems =
    limitMs !== false && ms >= limitMs
      ? [`${status.name} (${status.endpoint}) disconnected for ${seconds(ms)} s ≥ ${seconds(limitMs)} s`]
      : [];
  return { health, problems };
}

/** Seconds to a tenth: whole seconds for dashboards, yet 0.5 s still shows. */
function seconds(ms: number): number {
  return Math.round(ms / 100) / 10;
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
