import { randomUUID } from 'node:crypto';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { catchError, defer, EMPTY, filter, mergeMap, type Subscription } from 'rxjs';
import type { StatefulRoute, StatelessRoute } from '../definition/process-definition.js';
import { RoutingTable } from '../definition/routing-table.js';
import type { Decision } from '../engine/decision.js';
import { correlate, decide, decideStall, type EngineEnvironment } from '../engine/process-engine.js';
import { isLive, type ProcessInstance } from '../kernel/process-instance.js';
import {
  ConcurrencyConflictError,
  ConflictRetriesExhaustedError,
  NoActiveInstanceError,
} from '../errors/index.js';
import { CommandDispatchFailed } from '../events/system-messages.js';
import { outgoingMessageId } from '../kernel/message-id.js';
import { getMetadata, type MessageMetadata, withMetadata } from '../kernel/message-metadata.js';
import { MessageTypeRegistry } from '../definition/message-type.registry.js';
import { type DispatchFailure, OutboxDispatcher } from './outbox.dispatcher.js';
import { FailureStore } from '../ports/failure-store.js';
import { ProcessControl } from '../ports/process-control.js';
import { ProcessQueries } from '../ports/process-queries.js';
import type { FailureRecord, TimerRecord } from '../ports/records.js';
import { StepStore } from '../ports/step-store.js';
import { TimerStore } from '../ports/timer-store.js';
import { RESOLVED_OPTIONS } from '../kernel/constants.js';
import type { ResolvedProcessManagerOptions } from '../kernel/options.js';
import { Clock } from '../kernel/clock.js';
import { CqrsBuses } from './cqrs-buses.js';
import { DeliveryFailures } from './delivery-failures.js';
import { InstanceCache } from './instance-cache.js';
import { InstanceQueue } from './instance-queue.js';

/** How a delivery finds its instance: by correlation value (events) or by id (timers, retries). */
type Target = { correlationKey: string; associationKey?: string } | { processId: string };

/** What became of a delivery: a step committed, nothing to do (duplicate, no instance), or a failure recorded. */
type Outcome = 'committed' | 'skipped' | 'failed';

/** The instance a delivery reached, kept for its dead letter should it fail. */
interface Seen {
  processId?: string;
  correlationKey?: string;
}

/** Longest that shutdown waits for deliveries in flight. */
const SHUTDOWN_DRAIN_MS = 10_000;

/**
 * The path of one event: EventBus → routes → correlate → load → engine → commit → dispatch.
 * Timers, retries and recovery enter the same path through `deliverTimer`, `redeliver` and `stall`.
 */
@Injectable()
export class ProcessRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ProcessRunner.name);
  private readonly queue = new InstanceQueue();
  private readonly cache = new InstanceCache();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly env: EngineEnvironment;
  private subscription?: Subscription;
  /** Events handed to `deliver()`: the EventBus subscription leaves them to it. */
  private readonly deliveredDirectly = new WeakSet<object>();
  /** Non-start events that found no instance and were ignored (`onMissing: 'ignore'`). */
  missingInstanceCount = 0;

  constructor(
    private readonly buses: CqrsBuses,
    private readonly routes: RoutingTable,
    private readonly steps: StepStore,
    private readonly timers: TimerStore,
    private readonly failureStore: FailureStore,
    private readonly control: ProcessControl,
    private readonly queries: ProcessQueries,
    private readonly dispatcher: OutboxDispatcher,
    private readonly failures: DeliveryFailures,
    private readonly registry: MessageTypeRegistry,
    private readonly clock: Clock,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedProcessManagerOptions,
  ) {
    this.env = {
      now: () => this.clock.now(),
      newId: randomUUID,
      nameOf: (message) => this.registry.nameOf(message),
      toPayload: (message) => this.registry.toPayload(message),
    };
  }

  onApplicationBootstrap(): void {
    this.subscription = this.buses.eventBus
      .pipe(
        filter(
          (event: object) =>
            !this.deliveredDirectly.has(event) && this.routes.handles(this.registry.nameOf(event)),
        ),
        mergeMap((event: object) =>
          defer(() => this.track(this.handle(event))).pipe(
            catchError((error: unknown) => {
              // Only reached when even recording the failure failed (e.g. the database is down).
              this.logger.error(
                `Could not deliver or record ${this.registry.nameOf(event)}: ${String(error)}`,
              );
              return EMPTY;
            }),
          ),
        ),
      )
      .subscribe();
  }

  /** Stops taking events, then waits (bounded) for the deliveries in flight. Never throws. */
  async beforeApplicationShutdown(): Promise<void> {
    this.subscription?.unsubscribe();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>(
      (resolve) => (timer = setTimeout(() => resolve('timeout'), SHUTDOWN_DRAIN_MS)),
    );
    const result = await Promise.race([Promise.allSettled([...this.inFlight]), timeout]);
    clearTimeout(timer);
    if (result === 'timeout')
      this.logger.warn(
        `Shutdown: ${this.inFlight.size} deliveries still running after ${SHUTDOWN_DRAIN_MS} ms`,
      );
  }

  /** Resolves once no delivery is running, including those its deliveries caused (test fixtures). */
  async whenIdle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /**
   * Publishes `event` on the EventBus and resolves once every route of this app took it: its step (or
   * inbox mark) committed, or its failure was recorded for a retry. Rejects when not even that could be
   * written, so a consumer that acks after this never acks a lost event.
   */
  async deliver(event: object): Promise<void> {
    this.deliveredDirectly.add(event);
    this.buses.eventBus.publish(event);
    await this.track(this.handle(event));
  }

  /** Delivers one event to every route that wants it; a failing route never stops the others. */
  async handle(event: object): Promise<void> {
    const metadata = this.metadataOf(event);
    const routes = this.routes.routesFor(this.registry.nameOf(event));
    await Promise.all(routes.map((route) => this.runRoute(route, event, metadata)));
  }

  /** Delivers a due timer's message to its own instance; the step's commit removes the timer row. */
  async deliverTimer(timer: TimerRecord): Promise<void> {
    const route = this.routes.routeTo(timer.processType, timer.messageType);
    const metadata = { messageId: timer.id, correlationId: timer.processId, occurredAt: timer.dueAt };
    const message = this.registry.fromPayload(timer.messageType, timer.payload, metadata);
    const outcome = route
      ? await this.track(this.runRoute(route, message, metadata, { processId: timer.processId }))
      : undefined;
    if (!route)
      this.logger.error(
        `${timer.processType} ${timer.processId}: no handler for timer ${timer.messageType}; dropped`,
      );
    // A committed step deleted the row itself; otherwise (duplicate, instance gone, failure kept as a retry) it goes now.
    if (outcome !== 'committed') await this.timers.deleteTimer(timer.id);
  }

  /** Re-runs a failed delivery (a due retry, or an operator's `retry()`). */
  async redeliver(failure: FailureRecord): Promise<void> {
    const message = this.registry.fromPayload(failure.messageType, failure.payload, failure.metadata);
    const route =
      this.routes.routeTo(failure.handler, failure.messageType) ??
      this.routes.statelessRoute(failure.handler, failure.messageType);
    if (!route) {
      this.logger.error(
        `No handler ${failure.handler} for ${failure.messageType} any more; dead letter ${failure.id} kept`,
      );
      return;
    }
    const target = failure.processId !== undefined ? { processId: failure.processId } : undefined;
    const outcome = await this.track(this.runRoute(route, message, failure.metadata, target));
    if (outcome === 'failed') return;
    await this.failureStore.resolveFailure(failure.handler, failure.messageId);
    if (failure.processId && failure.status === 'dead')
      await this.failureStore.clearLastError(failure.processId, failure.error);
  }

  /** Records and reports a stuck instance per its process's `onStuck` policy. False if it moved meanwhile. */
  async stall(instance: ProcessInstance, idleMs: number): Promise<boolean> {
    const process = this.routes.process(instance.type);
    if (!process) return false;
    const decision = decideStall(process, instance, idleMs, this.env);
    try {
      await this.steps.commit(decision);
    } catch (error) {
      if (error instanceof ConcurrencyConflictError) return false;
      throw error;
    }
    if (process.onStuck === 'resend') await this.control.resendLastStep(instance.id, this.clock.now());
    await this.dispatch(decision);
    return true;
  }

  /** Tells each process that one of its commands could not be dispatched (`CommandDispatchFailed`). */
  async notifyDispatchFailures(failures: readonly DispatchFailure[]): Promise<void> {
    for (const { message, error } of failures) {
      const processId = message.metadata.correlationId;
      const instance = processId ? await this.queries.get(processId) : null;
      if (!instance) continue;
      const notice = new CommandDispatchFailed(message.type, message.metadata.messageId, error);
      const metadata = {
        messageId: `${message.metadata.messageId}:dispatch-failed`,
        correlationId: instance.id,
        occurredAt: this.clock.now(),
      };
      const route = this.routes.routeTo(instance.type, this.registry.nameOf(notice))!;
      await this.runRoute(route, withMetadata(notice, metadata), metadata, { processId: instance.id });
    }
  }

  /** Runs one route; a failure becomes a retry or a dead letter. */
  private async runRoute(
    route: StatefulRoute | StatelessRoute,
    event: object,
    metadata: MessageMetadata,
    target?: Target,
  ): Promise<Outcome> {
    // What the delivery learnt before failing: the dead letter names the instance it was for.
    const seen: Seen = { processId: target && 'processId' in target ? target.processId : undefined };
    try {
      if (route.kind === 'stateless') {
        await this.react(route, event, metadata);
        return 'committed';
      }
      const found = target ?? {
        correlationKey: correlate(route, event),
        associationKey: route.associationKey,
      };
      if ('correlationKey' in found) seen.correlationKey = found.correlationKey;
      return await this.runStateful(route, event, metadata, found, seen);
    } catch (error) {
      await this.failures.record({
        handler: route.kind === 'stateful' ? route.process.name : route.name,
        processId: seen.processId,
        correlationKey: seen.correlationKey,
        message: event,
        metadata,
        error,
      });
      return 'failed';
    }
  }

  /** A stateful route: serialised per instance inside this app, then dispatched after commit. */
  private async runStateful(
    route: StatefulRoute,
    event: object,
    metadata: MessageMetadata,
    target: Target,
    seen: Seen,
  ): Promise<Outcome> {
    const queueKey = `${route.process.name}\u0000${'processId' in target ? target.processId : target.correlationKey}`;
    const committed = await this.queue.run(queueKey, () => this.step(route, event, metadata, target, seen));
    if (!committed) return 'skipped';
    await this.dispatch(committed);
    return 'committed';
  }

  /** Load → decide → commit, re-run from a fresh load when another writer won the race. */
  private async step(
    route: StatefulRoute,
    event: object,
    metadata: MessageMetadata,
    target: Target,
    seen: Seen,
  ) {
    const type = route.process.name;
    const cacheKey =
      'correlationKey' in target && !target.associationKey
        ? `${type}\u0000${target.correlationKey}`
        : undefined;
    for (let attempt = 1; ; attempt++) {
      const cached = attempt === 1 && cacheKey ? this.cache.get(cacheKey) : undefined;
      const { instance, handled } = cached
        ? { instance: cached, handled: false } // a duplicate is caught by the commit's inbox key
        : await this.steps.load({
            type,
            correlationKey: 'correlationKey' in target ? target.correlationKey : '',
            associationKey: 'correlationKey' in target ? target.associationKey : undefined,
            processId: 'processId' in target ? target.processId : undefined,
            messageId: metadata.messageId,
          });
      const where = `${route.process.name} ${'processId' in target ? target.processId : target.correlationKey}`;
      if (handled) {
        this.logger.debug(`${where}: ${route.messageType} ${metadata.messageId} already handled`);
        return undefined;
      }
      if (!instance && ('processId' in target || !route.start)) {
        this.onMissingInstance(route, where, metadata);
        return undefined;
      }
      if (instance) Object.assign(seen, { processId: instance.id, correlationKey: instance.correlationKey });
      const correlationKey =
        instance?.correlationKey ?? (target as { correlationKey: string }).correlationKey;
      const decision = await decide({ route, event, metadata, correlationKey, instance }, this.env);
      const key = `${type}\u0000${decision.instance.correlationKey}`;
      try {
        await this.steps.commit(decision);
        if (isLive(decision.instance.status)) this.cache.set(key, decision.instance);
        else this.cache.delete(key);
        return decision;
      } catch (error) {
        this.cache.delete(key);
        if (!(error instanceof ConcurrencyConflictError)) throw error;
        if (attempt > this.options.conflictRetries) {
          throw new ConflictRetriesExhaustedError(route.process.name, correlationKey, attempt);
        }
      }
    }
  }

  /**
   * A stateless route: the handler's return value is sent on, linked to the event that caused it.
   * Durable routes dedupe by messageId and commit the messages to the outbox before sending them.
   */
  private async react(route: StatelessRoute, event: object, cause: MessageMetadata): Promise<void> {
    if (route.durable && (await this.steps.hasHandled(route.name, cause.messageId))) return;
    const returned = await route.invoke(event);
    const messages = [returned]
      .flat()
      .filter((message): message is object => typeof message === 'object' && message !== null)
      .map((message, index) => this.outgoing(message, route.name, cause, index));
    if (!route.durable) {
      // No outbox row to retry from: a failed send is the handler's failure (retried, then dead-lettered).
      for (const message of messages) await this.dispatcher.send(message);
      return;
    }
    const records = messages.map(({ message: _message, ...record }) => ({ ...record, processId: null }));
    if (!(await this.steps.commitReaction(route.name, cause.messageId, records, this.clock.now()))) return;
    await this.dispatcher.dispatch(messages); // failed sends stay with the relay
  }

  private outgoing(message: object, source: string, cause: MessageMetadata, index: number) {
    return this.registry.toOutgoing(message, {
      messageId: outgoingMessageId(source, cause.messageId, index),
      correlationId: cause.correlationId ?? cause.messageId,
      causationId: cause.messageId,
      occurredAt: this.clock.now(),
    });
  }

  private async dispatch(decision: Decision): Promise<void> {
    await this.notifyDispatchFailures(await this.dispatcher.dispatch(decision.outgoing));
  }

  private onMissingInstance(route: StatefulRoute, where: string, metadata: MessageMetadata): void {
    if (route.onMissing !== 'ignore') {
      throw new NoActiveInstanceError(route.process.name, route.messageType, where, route.onMissing);
    }
    this.missingInstanceCount++;
    this.logger.warn(`${where}: no active instance for ${route.messageType} ${metadata.messageId}; ignored`);
  }

  /** Events published without metadata get a fresh messageId here, once, shared by every route. */
  private metadataOf(event: object): MessageMetadata {
    const metadata = getMetadata(event);
    if (metadata?.messageId) return metadata;
    return getMetadata(
      withMetadata(event, { messageId: randomUUID(), occurredAt: this.clock.now(), ...metadata }),
    )!;
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    return work.finally(() => this.inFlight.delete(work));
  }
}
