import { randomUUID } from 'node:crypto';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { MessageTypeRegistry } from '../definition/message-type.registry.js';
import type { StatefulRoute, StatelessRoute } from '../definition/process-definition.js';
import { RoutingTable } from '../definition/routing-table.js';
import type { Decision } from '../engine/decision.js';
import { checkMetadata, correlate } from '../engine/process-engine.js';
import { CommandDispatchFailed } from '../events/system-messages.js';
import { Clock } from '../kernel/clock.js';
import { RESOLVED_OPTIONS } from '../kernel/constants.js';
import { describeError } from '../kernel/describe-error.js';
import { getMetadata, type MessageMetadata, withMetadata } from '../kernel/message-metadata.js';
import type { ResolvedProcessManagerOptions } from '../kernel/options.js';
import { isLive, type ProcessInstance } from '../kernel/process-instance.js';
import { FailureStore } from '../ports/failure-store.js';
import { ProcessQueries } from '../ports/process-queries.js';
import type { FailureRecord, TimerRecord } from '../ports/records.js';
import { TimerStore } from '../ports/timer-store.js';
import { ProcessTelemetry } from '../telemetry/process-telemetry.js';
import { CqrsBuses } from './cqrs-buses.js';
import { DeliveryFailures } from './delivery-failures.js';
import type { Dispatchable, DispatchFailure, LocalDelivery } from './dispatchable.js';
import { HeldDeliveries } from './held-deliveries.js';
import { OutboxDispatcher } from './outbox.dispatcher.js';
import { FailedStep, StatefulDelivery, type Target } from './stateful-delivery.js';
import { StatelessReaction } from './stateless-reaction.js';
import { settlesWithin } from './timeout.js';
import { isUndeliverable, UndeliverableMessages } from './undeliverable-messages.js';

/** What became of a delivery: a step committed, nothing to do (duplicate, no instance), or a failure recorded. */
export type Outcome = 'committed' | 'skipped' | 'failed';

/**
 * The path of one event: EventBus → routes → correlate → load → engine → commit → dispatch.
 * Timers, retries and recovery enter the same path through `deliverTimer`, `redeliver` and `stall`.
 */
@Injectable()
export class ProcessRunner implements OnApplicationBootstrap, BeforeApplicationShutdown, LocalDelivery {
  private readonly logger = new Logger(ProcessRunner.name);
  private readonly inFlight = new Set<Promise<unknown>>();
  /** EventBus deliveries whose failure could not be recorded (the database is away): retried from memory. */
  private readonly held: HeldDeliveries;
  private subscription?: Subscription;
  /** Events handed to `deliver()`: the EventBus subscription leaves them to it; done at commit. */
  private readonly deliveredDirectly = new WeakSet<object>();
  /**
   * EventBus events whose messageId this app minted as it took them: no earlier delivery can have
   * handled them, so a stateless reaction needs no inbox lookup before its handler runs.
   */
  private readonly minted = new WeakSet<object>();
  /** Whether any process of this app waits for its commands to leave (computed once routes exist). */
  private awaitsSent: boolean | undefined;

  constructor(
    private readonly buses: CqrsBuses,
    private readonly routes: RoutingTable,
    private readonly instances: StatefulDelivery,
    private readonly reactions: StatelessReaction,
    private readonly timers: TimerStore,
    private readonly failureStore: FailureStore,
    private readonly queries: ProcessQueries,
    private readonly dispatcher: OutboxDispatcher,
    private readonly failures: DeliveryFailures,
    private readonly undeliverables: UndeliverableMessages,
    private readonly registry: MessageTypeRegistry,
    private readonly clock: Clock,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedProcessManagerOptions,
    private readonly telemetry: ProcessTelemetry,
  ) {
    this.held = new HeldDeliveries(options.retry, (cause, exception) =>
      this.buses.unhandledExceptions.publish({ cause, exception }),
    );
    dispatcher.attach(this);
  }

  onApplicationBootstrap(): void {
    // A plain subscriber, not an rx pipeline: no observable is made per event, and nothing thrown for
    // one event can end the subscription.
    this.subscription = this.buses.eventBus.subscribe((event: object) => {
      try {
        const type = this.deliveredDirectly.has(event) ? undefined : this.registry.routedNameOf(event);
        if (type === undefined || !this.routes.handles(type)) return;
        this.track(this.take(event)).catch((error: unknown) => this.notDelivered(event, error));
      } catch (error) {
        this.notDelivered(event, error);
      }
    });
  }

  /** Not reached by a failing route (take() holds those); by a bug before any route ran. */
  private notDelivered(event: object, error: unknown): void {
    this.logger.error(
      `Could not deliver ${this.registry.nameOf(event)} ${getMetadata(event)?.messageId ?? ''}: ` +
        describeError(error),
    );
  }

  /** Stops taking events, then waits (bounded) for the deliveries in flight. Never throws. */
  async beforeApplicationShutdown(): Promise<void> {
    this.subscription?.unsubscribe();
    void this.track(this.held.close());
    const drainMs = this.options.shutdownTimeoutMs;
    // whenIdle(), not a snapshot: deliveries in flight start more (their dispatches, a re-queued step).
    if (!(await settlesWithin(this.whenIdle(), drainMs)))
      this.logger.warn(
        `Shutdown: ${this.inFlight.size} deliveries still running after ${drainMs} ms are left; ` +
          `their claims lapse and they are delivered again later`,
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

  /**
   * Delivers one event to every route that wants it; a failing route never stops the others. Rejects
   * (with the first `DeliveryNotRecordedError`) once all are done if any route's failure went unrecorded.
   */
  async handle(event: object): Promise<void> {
    const metadata = this.metadataOf(event);
    const results = await Promise.allSettled(
      this.routesOf(event).map((route) => this.runRoute(route, event, metadata)),
    );
    const unrecorded = results.find((result) => result.status === 'rejected');
    if (unrecorded) throw unrecorded.reason;
  }

  /** An EventBus event: like `handle()`, but a route whose failure went unrecorded is held and retried. */
  private async take(event: object): Promise<void> {
    const metadata = this.metadataOf(event);
    await Promise.all(
      this.routesOf(event).map((route) =>
        this.runRoute(route, event, metadata).catch((error: unknown) => {
          this.minted.delete(event); // its re-run may follow a commit whose answer was lost
          this.held.hold(error, event, () => this.track(this.runRoute(route, event, metadata)));
        }),
      ),
    );
  }

  private routesOf(event: object): readonly (StatefulRoute | StatelessRoute)[] {
    const type = this.registry.routedNameOf(event); // by class, not by a name another class may share
    return type === undefined ? [] : this.routes.routesFor(type);
  }

  /** Delivers a due timer's message to its own instance; the step's commit removes the timer row. */
  /**
   * Reads the instances of a claimed batch of timers in one query, so that each timer's step skips its
   * own load. Best effort: if the read fails, each step loads its instance as usual.
   */
  async readInstancesOf(timers: readonly TimerRecord[]): Promise<void> {
    if (timers.length < 2) return;
    try {
      this.instances.prime(await this.queries.getMany([...new Set(timers.map((timer) => timer.processId))]));
    } catch (error) {
      this.logger.debug(
        `Could not read the instances of ${timers.length} due timers ahead: ${describeError(error)}`,
      );
    }
  }

  deliverTimer(timer: TimerRecord): Promise<void> {
    return this.track(this.fireTimer(timer));
  }

  private async fireTimer(timer: TimerRecord): Promise<void> {
    const route = this.routes.routeTo(timer.processType, timer.messageType);
    const metadata: MessageMetadata = {
      messageId: timer.id,
      correlationId: timer.processId,
      occurredAt: timer.dueAt,
      ...(timer.traceparent !== undefined && { traceparent: timer.traceparent }),
    };
    const message = this.registry.fromPayload(timer.messageType, timer.payload, metadata);
    const target = { processId: timer.processId, correlationKey: timer.correlationKey };
    const outcome = route
      ? await this.telemetry.timerFire(timer, () => this.runRoute(route, message, metadata, target))
      : undefined;
    if (!route)
      this.logger.error(
        `${timer.processType} ${timer.processId}: no handler for timer ${timer.messageType}; dropped`,
      );
    // A committed step deleted the row itself; otherwise (duplicate, instance gone, failure kept as a retry) it goes now.
    if (outcome !== 'committed') await this.timers.deleteTimer(timer.id);
  }

  /** Re-runs a failed delivery (a due retry, or an operator's `retry()`). */
  redeliver(failure: FailureRecord): Promise<void> {
    return this.track(this.retryFailure(failure));
  }

  private async retryFailure(failure: FailureRecord): Promise<void> {
    if (isUndeliverable(failure)) return this.undeliverables.retry(failure);
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
    const target =
      failure.processId !== undefined
        ? { processId: failure.processId, correlationKey: failure.correlationKey }
        : undefined;
    const outcome = await this.runRoute(route, message, failure.metadata, target);
    if (outcome === 'failed') return;
    await this.failureStore.resolveFailure(failure.handler, failure.messageId, this.clock.now());
    if (failure.processId && failure.status === 'dead') {
      await this.failureStore.clearLastError(failure.processId, failure.error);
      this.instances.forget(failure.processId);
    }
  }

  /**
   * Records and reports a stuck instance per its process's `onStuck` policy, in line with the
   * instance's other deliveries. False if it moved meanwhile.
   */
  stall(instance: ProcessInstance, idleMs: number): Promise<boolean> {
    return this.track(this.reportStall(instance, idleMs));
  }

  private async reportStall(instance: ProcessInstance, idleMs: number): Promise<boolean> {
    const process = this.routes.process(instance.type);
    const decision = process && (await this.instances.stall(process, instance, idleMs));
    if (!decision) return false;
    await this.dispatch(decision);
    return true;
  }

  /**
   * Runs an operator's write to one instance (cancel, acknowledge, …) in line with its deliveries in this
   * app, and drops the instance from the cache (the write moved its version).
   */
  async exclusive<T>(processId: string, write: () => Promise<T>): Promise<T> {
    const instance = await this.queries.get(processId);
    return instance ? this.track(this.instances.exclusive(instance, write)) : write();
  }

  /** A command left: its process hears of it if it waits for that (`ProcessDefinition.onCommandSent`). */
  async sent(command: Dispatchable): Promise<void> {
    const { processId, processType } = command;
    this.awaitsSent ??= this.routes.processes.some((process) => process.onCommandSent !== undefined);
    if (!processId || !this.awaitsSent) return;
    if (processType !== undefined && !this.routes.process(processType)?.onCommandSent) return;
    const instance = await this.queries.get(processId);
    const sent = { type: command.type, messageId: command.metadata.messageId };
    const notice = instance && this.routes.process(instance.type)?.onCommandSent?.(instance, sent);
    if (instance && notice) await this.tell(instance, notice, `${sent.messageId}:sent`);
  }

  /**
   * A message whose dispatch attempts ran out, surfaced whatever its process's status: a live sender
   * is told of its command (`CommandDispatchFailed`: its own handler, or the built-in one that fails
   * it); then the message is parked as a dead letter, with `lastError` and `ProcessDeadLettered`.
   */
  async undeliverable(failure: DispatchFailure): Promise<void> {
    const { message, error } = failure;
    let instance = message.processId ? await this.queries.get(message.processId) : null;
    if (instance && isLive(instance.status) && message.kind === 'command') {
      const notice = new CommandDispatchFailed(message.type, message.metadata.messageId, error);
      await this.tell(instance, notice, `${message.metadata.messageId}:dispatch-failed`);
      instance = await this.queries.get(instance.id);
    }
    await this.undeliverables.park(failure, instance);
  }

  /** Delivers an operator's request (a library message) to one instance by id, in line with its deliveries. */
  async request(instance: ProcessInstance, notice: object): Promise<Outcome | undefined> {
    const metadata = { messageId: randomUUID(), correlationId: instance.id, occurredAt: this.clock.now() };
    const route = this.routes.routeTo(instance.type, this.registry.nameOf(notice));
    const target = { processId: instance.id, correlationKey: instance.correlationKey };
    if (!route) return undefined;
    return this.track(this.runRoute(route, withMetadata(notice, metadata), metadata, target));
  }

  /** Delivers a library message to one instance by id, as timers are (deduped by `messageId`). */
  private async tell(instance: ProcessInstance, notice: object, messageId: string): Promise<void> {
    const metadata = { messageId, correlationId: instance.id, occurredAt: this.clock.now() };
    const route = this.routes.routeTo(instance.type, this.registry.nameOf(notice));
    const target = { processId: instance.id, correlationKey: instance.correlationKey };
    if (route) await this.track(this.runRoute(route, withMetadata(notice, metadata), metadata, target));
  }

  /** Runs one route in its `pm.step` span; a failure becomes a retry or a dead letter. */
  private runRoute(
    route: StatefulRoute | StatelessRoute,
    event: object,
    metadata: MessageMetadata,
    target?: Target,
  ): Promise<Outcome> {
    const handler = route.kind === 'stateful' ? route.process.name : route.name;
    return this.telemetry.step(handler, route.messageType, metadata, (traced) =>
      this.runStep(route, event, traced, target),
    );
  }

  private async runStep(
    route: StatefulRoute | StatelessRoute,
    event: object,
    metadata: MessageMetadata,
    target?: Target,
  ): Promise<Outcome> {
    try {
      checkMetadata(route.messageType, metadata);
      if (route.kind === 'stateless') {
        const unseen = this.minted.has(event);
        await this.sendAfterCommit(await this.reactions.run(route, event, metadata, unseen), event);
        return 'committed';
      }
      if (!target && route.onMissingCorrelation === 'ignore' && lacksCorrelation(route, event))
        return 'skipped';
      const found = target ?? {
        correlationKey: correlate(route, event),
        associationKey: route.associationKey,
      };
      const decision = await this.instances.run(route, event, metadata, found);
      if (!decision) return 'skipped';
      await this.dispatch(decision, event);
      return 'committed';
    } catch (thrown) {
      const failed = thrown instanceof FailedStep ? thrown : undefined;
      const processId = failed
        ? failed.processId
        : target && 'processId' in target
          ? target.processId
          : undefined;
      try {
        await this.failures.record({
          handler: route.kind === 'stateful' ? route.process.name : route.name,
          processId,
          correlationKey: failed?.correlationKey,
          message: event,
          metadata,
          error: failed ? failed.cause : thrown,
        });
      } finally {
        if (processId) this.instances.forget(processId); // a dead letter marks `lastError`
      }
      return 'failed';
    }
  }

  private dispatch({ outgoing, instance }: Decision, cause?: object): Promise<void> {
    return this.sendAfterCommit(
      outgoing.map(({ kind, type, metadata, message }) => ({
        kind,
        type,
        metadata,
        message,
        processId: instance.id,
        processType: instance.type,
      })),
      cause,
    );
  }

  /**
   * Sends a step's committed messages. The delivery waits for them (a poller's tick, a test, sees the
   * step's commands sent), except one handed to `deliver()`: that is done once its step committed, so
   * the outbox row of a dispatched event never waits for the whole chain of what it caused.
   */
  private async sendAfterCommit(messages: readonly Dispatchable[], cause?: object): Promise<void> {
    if (messages.length === 0) return;
    const sending = this.track(this.dispatcher.dispatch(messages));
    if (!cause || !this.deliveredDirectly.has(cause)) await sending;
  }

  /** Events published without metadata get a fresh messageId here, once, shared by every route. */
  private metadataOf(event: object): MessageMetadata {
    const metadata = getMetadata(event);
    if (metadata?.messageId) {
      this.minted.delete(event); // published again: no longer unseen
      return metadata;
    }
    this.minted.add(event);
    return getMetadata(
      withMetadata(event, { messageId: randomUUID(), occurredAt: this.clock.now(), ...metadata }),
    )!;
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    return work.finally(() => this.inFlight.delete(work));
  }
}

/** True when `route` reads no correlation value from `event`; a `correlate()` that throws is left to fail. */
function lacksCorrelation(route: StatefulRoute, event: object): boolean {
  try {
    const value = route.correlate(event);
    return value === undefined || value === null || value === '';
  } catch {
    return false;
  }
}
