import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { MessageTypeRegistry } from '../definition/message-type.registry.js';
import type { ProcessDefinition, StatefulRoute } from '../definition/process-definition.js';
import type { Decision } from '../engine/decision.js';
import { decide, decideStall, type EngineEnvironment, startRefused } from '../engine/process-engine.js';
import {
  ConcurrencyConflictError,
  ConflictRetriesExhaustedError,
  HandlerTimeoutError,
  NoActiveInstanceError,
} from '../errors/index.js';
import { Clock } from '../kernel/clock.js';
import { RESOLVED_OPTIONS } from '../kernel/constants.js';
import type { MessageMetadata } from '../kernel/message-metadata.js';
import type { ResolvedProcessManagerOptions } from '../kernel/options.js';
import { isLive, type ProcessInstance } from '../kernel/process-instance.js';
import { ProcessControl } from '../ports/process-control.js';
import { StepStore } from '../ports/step-store.js';
import { ProcessTelemetry } from '../telemetry/process-telemetry.js';
import { InstanceCache } from './instance-cache.js';
import { instanceKey } from './instance-key.js';
import { InstanceQueue } from './instance-queue.js';
import { withTimeout } from './timeout.js';

/**
 * How a delivery finds its instance: by correlation value (events) or by id (timers, retries), with
 * the instance's correlation key when the caller knows it. The delivery queues under
 * `instanceKey(type, correlationKey)` — for associations and ids without a key that is a guess, and
 * the step re-queues under the instance's own key once it has loaded the instance.
 */
export type Target =
  { correlationKey: string; associationKey?: string } | { processId: string; correlationKey?: string };

/** A delivery that failed, with the instance it had reached: its dead letter names that instance. */
export class FailedStep extends Error {
  constructor(
    override readonly cause: unknown,
    readonly processId: string | undefined,
    readonly correlationKey: string | undefined,
  ) {
    super('a step failed', { cause });
  }
}

/** What one step inside the queue came to: a decision to dispatch, nothing to do, or the instance's own key. */
type StepResult =
  | { kind: 'committed'; decision: Decision }
  | { kind: 'skipped' }
  | { kind: 'moved'; instance: ProcessInstance };

/**
 * One delivery to one process instance, in that instance's line inside this app: load (or take it
 * from the cache) → decide → commit, re-run from a fresh load when another writer won the race.
 * Every delivery to an instance — event, timer, retry, operator action, stall report — queues under
 * its one `instanceKey`, whatever it was addressed by.
 */
@Injectable()
export class StatefulDelivery {
  private readonly logger = new Logger(StatefulDelivery.name);
  private readonly queue = new InstanceQueue();
  private readonly cache = new InstanceCache();
  private readonly env: EngineEnvironment;

  constructor(
    private readonly steps: StepStore,
    private readonly control: ProcessControl,
    registry: MessageTypeRegistry,
    private readonly clock: Clock,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedProcessManagerOptions,
    private readonly telemetry: ProcessTelemetry,
  ) {
    this.env = { now: () => clock.now(), newId: randomUUID, nameOf: (message) => registry.nameOf(message) };
  }

  /**
   * Runs `route` for the instance `target` names; resolves to the committed decision, or undefined when
   * there was nothing to do (a duplicate, no instance). Throws a `FailedStep`. A delivery that only
   * guesses the instance's key (an association value, an id) and finds the instance under another key
   * moves to that key's line before anything is decided, and loads it afresh there.
   */
  async run(
    route: StatefulRoute,
    event: object,
    metadata: MessageMetadata,
    target: Target,
  ): Promise<Decision | undefined> {
    const type = route.process.name;
    let line = instanceKey(type, target.correlationKey ?? (target as { processId: string }).processId);
    let movedTo: ProcessInstance | undefined;
    for (let moves = 0; ; moves++) {
      const queueKey = line;
      const found = movedTo;
      const result = await this.queue.run(queueKey, () =>
        this.step(route, event, metadata, target, queueKey, found),
      );
      if (result.kind === 'skipped') return undefined;
      if (result.kind === 'committed') return result.decision;
      // An instance keeps its key for life: only an association re-pointed meanwhile moves it twice.
      if (moves >= this.options.conflictRetries) {
        const error = new ConflictRetriesExhaustedError(type, result.instance.correlationKey, moves + 1);
        throw new FailedStep(error, result.instance.id, result.instance.correlationKey);
      }
      line = instanceKey(type, result.instance.correlationKey);
      movedTo = result.instance;
    }
  }

  /**
   * Records a stuck instance in its line, per its process's `onStuck` policy; resolves to the stall's
   * decision, or undefined when the instance moved meanwhile.
   */
  stall(
    process: ProcessDefinition,
    instance: ProcessInstance,
    idleMs: number,
  ): Promise<Decision | undefined> {
    const key = instanceKey(instance.type, instance.correlationKey);
    // An instance a newer version wrote is that version's apps' to report (and, with onStuck 'fail', to end).
    if ((instance.stateVersion ?? 1) > process.version) return Promise.resolve(undefined);
    return this.queue.run(key, async () => {
      const stalled = decideStall(process, instance, idleMs, this.env);
      try {
        await this.steps.commit(stalled);
      } catch (error) {
        if (error instanceof ConcurrencyConflictError) return undefined;
        throw error;
      } finally {
        this.cache.delete(key);
      }
      if (process.onStuck === 'resend') await this.control.resendLastStep(instance.id, this.clock.now());
      return stalled;
    });
  }

  /** Runs a write to `instance` outside a step in its line, then drops it from the cache (the write moved its version). */
  exclusive<T>(instance: ProcessInstance, write: () => Promise<T>): Promise<T> {
    const key = instanceKey(instance.type, instance.correlationKey);
    return this.queue.run(key, async () => {
      try {
        return await write();
      } finally {
        this.cache.delete(key);
      }
    });
  }

  /**
   * Takes instances read in bulk (a claimed batch of timers) into the cache, so their steps skip the
   * load; a copy this app already holds of the same instance wins unless it is older.
   */
  prime(instances: readonly ProcessInstance[]): void {
    for (const instance of instances) {
      if (!isLive(instance.status)) continue;
      const key = instanceKey(instance.type, instance.correlationKey);
      const cached = this.cache.get(key);
      if (!cached || (cached.id === instance.id && cached.version < instance.version))
        this.cache.set(key, instance);
    }
  }

  /** For writes that move no version (a dead letter's `lastError`): the cached copy would write it back. */
  forget(processId: string): void {
    this.cache.forget(processId);
  }

  private async step(
    route: StatefulRoute,
    event: object,
    metadata: MessageMetadata,
    target: Target,
    queueKey: string,
    /** The instance a first load under another line found (the delivery moved here for it). */
    movedTo: ProcessInstance | undefined,
  ): Promise<StepResult> {
    const type = route.process.name;
    const where = `${type} ${'processId' in target ? target.processId : target.correlationKey}`;
    let reached: { id: string; correlationKey?: string } | undefined =
      movedTo ??
      ('processId' in target ? { id: target.processId, correlationKey: target.correlationKey } : undefined);
    try {
      for (let attempt = 1; ; attempt++) {
        const known = attempt === 1 ? this.cached(queueKey, target, movedTo?.id) : undefined;
        const { instance, handled } = known
          ? { instance: known, handled: false } // a duplicate is caught by the commit's inbox key
          : await this.steps.load({
              type,
              correlationKey: 'processId' in target ? '' : target.correlationKey,
              associationKey: 'processId' in target ? undefined : target.associationKey,
              processId: 'processId' in target ? target.processId : undefined,
              messageId: metadata.messageId,
            });
        if (handled) {
          this.logger.debug(`${where}: ${route.messageType} ${metadata.messageId} already handled`);
          return { kind: 'skipped' };
        }
        if (!instance && ('processId' in target || !route.start)) {
          this.onMissingInstance(route, where, metadata);
          return { kind: 'skipped' };
        }
        const refused = instance ? undefined : startRefused(route, event);
        if (refused) {
          this.logger.log(`${where}: ${route.messageType} ${metadata.messageId} starts nothing: ${refused}`);
          return { kind: 'skipped' };
        }
        if (instance && instanceKey(type, instance.correlationKey) !== queueKey)
          return { kind: 'moved', instance };
        if (instance) reached = instance;
        if (instance) this.telemetry.reached(instance);
        const correlationKey =
          instance?.correlationKey ?? (target as { correlationKey: string }).correlationKey;
        const decision = await this.decideBounded(route, {
          route,
          event,
          metadata,
          correlationKey,
          instance,
        });
        try {
          await this.steps.commit(decision);
          this.telemetry.reached(decision.instance);
          if (decision.history.outcome === 'ignored') this.logIgnored(decision, route, metadata);
          if (isLive(decision.instance.status)) this.cache.set(queueKey, decision.instance);
          else this.cache.delete(queueKey);
          return { kind: 'committed', decision };
        } catch (error) {
          this.cache.delete(queueKey);
          if (!(error instanceof ConcurrencyConflictError)) throw error;
          this.telemetry.conflict(type);
          if (attempt > this.options.conflictRetries) {
            throw new ConflictRetriesExhaustedError(route.process.name, correlationKey, attempt);
          }
        }
      }
    } catch (error) {
      throw new FailedStep(error, reached?.id, reached?.correlationKey ?? target.correlationKey);
    }
  }

  /** The instance this app committed last under `queueKey`, when it is the one the delivery means. */
  private cached(queueKey: string, target: Target, movedTo: string | undefined): ProcessInstance | undefined {
    const id = movedTo ?? ('processId' in target ? target.processId : undefined);
    if (id === undefined && !('processId' in target) && target.associationKey) return undefined;
    const instance = this.cache.get(queueKey);
    return instance && (id === undefined || instance.id === id) ? instance : undefined;
  }

  /**
   * The engine's step, bounded by `retry.handlerTimeoutMs`: a hung handler fails this delivery (to be
   * retried) instead of holding its instance's line. Its late result is dropped with its draft.
   */
  private decideBounded(route: StatefulRoute, input: Parameters<typeof decide>[0]): Promise<Decision> {
    const timeoutMs = this.options.retry.handlerTimeoutMs;
    return withTimeout(
      decide(input, this.env),
      timeoutMs,
      () =>
        new HandlerTimeoutError(
          route.process.name,
          `${route.process.className}.${route.methodName}`,
          route.messageType,
          timeoutMs,
        ),
    );
  }

  private logIgnored(decision: Decision, route: StatefulRoute, metadata: MessageMetadata): void {
    const { type, id, stateName, status } = decision.instance;
    this.logger.log(
      `${type} ${id} (${status}, state ${stateName ?? '(none)'}): ${route.messageType} ${metadata.messageId} ` +
        `ignored: ${decision.history.note}`,
    );
  }

  private onMissingInstance(route: StatefulRoute, where: string, metadata: MessageMetadata): void {
    if (route.onMissing !== 'ignore') {
      throw new NoActiveInstanceError(route.process.name, route.messageType, where, route.onMissing);
    }
    this.logger.warn(`${where}: no active instance for ${route.messageType} ${metadata.messageId}; ignored`);
  }
}
